/* api/http.c — libmicrohttpd glue: one request at a time per connection,
 * bodies collected up to API_MAX_BODY, then api_handle(). */
#include "api/http.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "security/seccomp.h"
#include "util/log.h"

struct api_server {
	struct MHD_Daemon *daemon;
	const struct api_backend *be;
	atomic_bool listener_filtered; /* the listening thread's filter is on */
};

/* Per request. */
struct req {
	char *buf;
	size_t len;
	bool too_big;
};

int api_listen_unix(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	struct stat st;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		unlink(path); /* a stale socket from an earlier run */
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
		int rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

static enum MHD_Result send_response(struct MHD_Connection *c, const struct api_response *r)
{
	const char *body = r->body ? r->body : "";
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	if (r->body)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->json ? "application/json" : "text/plain");
	enum MHD_Result ret = MHD_queue_response(c, r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* Names the calling libmicrohttpd thread and installs its filter, once per
 * thread (a keep-alive connection's thread serves several requests; its
 * filter forbids renaming). */
static void enter_filter(enum thread_filter_kind kind, const char *name)
{
	static _Thread_local bool entered;
	if (entered)
		return;
	entered = true;
	pthread_setname_np(pthread_self(), name);
	thread_filter_install(kind, name);
}

/* On the listening thread, before it starts the connection's thread: the
 * listener's filter goes on at its first connection, which is nimbus's own
 * (wake_listener), and connection threads start under it. */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct api_server *srv = cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		enter_filter(THREAD_FILTER_API_LISTEN, "api-listen");
		atomic_store(&srv->listener_filtered, true);
	}
}

/* libmicrohttpd runs no code of ours on its listening thread before a
 * connection arrives: connect once (and hang up) so that thread installs its
 * filter now, not when the first client comes. Waits up to 2 s for it. */
static void wake_listener(struct api_server *srv, int listen_fd)
{
	struct sockaddr_un a;
	socklen_t len = sizeof(a);
	memset(&a, 0, sizeof(a));
	if (getsockname(listen_fd, (struct sockaddr *)&a, &len) < 0 || a.sun_family != AF_UNIX ||
	    len <= offsetof(struct sockaddr_un, sun_path)) {
		log_warn("api: cannot find the API socket's address; its listening thread gets its filter at the first connection");
		return;
	}
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&a, len) < 0) {
		log_warn("api: cannot connect to the API socket (%s); its listening thread gets its filter at the first "
			 "connection", strerror(errno));
		if (s >= 0)
			close(s);
		return;
	}
	for (int i = 0; i < 2000 && !atomic_load(&srv->listener_filtered); i++)
		usleep(1000);
	close(s);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	struct api_server *srv = cls;
	struct req *rq = *con_cls;
	if (!rq) {
		/* First call on this connection's thread. */
		enter_filter(THREAD_FILTER_API_CONN, "api-conn");
		rq = calloc(1, sizeof(*rq));
		if (!rq)
			return MHD_NO;
		*con_cls = rq;
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		/* Too large: the body is read and dropped (never buffered), then
		 * answered with 413; answering before it is read makes clients that
		 * are still sending see a reset instead of the answer. */
		if (cl && strtoull(cl, NULL, 10) > API_MAX_BODY)
			rq->too_big = true;
		return MHD_YES;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (rq->too_big || rq->len + n > API_MAX_BODY) {
			rq->too_big = true; /* chunked bodies without a length */
			return MHD_YES;
		}
		char *nb = realloc(rq->buf, rq->len + n + 1);
		if (!nb)
			return MHD_NO;
		memcpy(nb + rq->len, upload_data, n);
		rq->buf = nb;
		rq->len += n;
		rq->buf[rq->len] = '\0';
		return MHD_YES;
	}
	struct api_response r = {0};
	if (rq->too_big)
		api_respond_text(&r, 413, "request body larger than %d bytes", API_MAX_BODY);
	else
		api_handle(srv->be, method, url, rq->buf, rq->len, &r);
	log_info("api: %s %s -> %u", method, url, r.status);
	enum MHD_Result ret = send_response(c, &r);
	api_response_free(&r);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct req *rq = *con_cls;
	if (rq) {
		free(rq->buf);
		free(rq);
		*con_cls = NULL;
	}
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[256];
	vsnprintf(buf, sizeof(buf), fmt, ap);
	size_t n = strlen(buf);
	while (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	log_info("api: %s", buf);
}

int api_server_start(int listen_fd, const struct api_backend *be, struct api_server **out)
{
	struct api_server *srv = calloc(1, sizeof(*srv));
	if (!srv) {
		close(listen_fd);
		return -ENOMEM;
	}
	srv->be = be;
	/* jansson seeds its hash function from /dev/urandom on first use; do it
	 * here, before the API threads' filters forbid opening files. */
	json_object_seed(0);
	srv->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
					       MHD_USE_ERROR_LOG,
				       0, NULL, NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, srv,
				       MHD_OPTION_LISTEN_SOCKET, listen_fd,
				       MHD_OPTION_CONNECTION_LIMIT, (unsigned)API_HTTP_MAX_CONNECTIONS,
				       MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)API_HTTP_IDLE_TIMEOUT,
				       MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
				       MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv, MHD_OPTION_END);
	if (!srv->daemon) {
		close(listen_fd);
		free(srv);
		return -EIO;
	}
	wake_listener(srv, listen_fd);
	*out = srv;
	return 0;
}

void api_server_stop(struct api_server *srv)
{
	if (!srv)
		return;
	MHD_stop_daemon(srv->daemon);
	free(srv);
}

/* api/http.h — the API's HTTP/1.1 server on a Unix socket (libmicrohttpd).
 *
 * Threads: libmicrohttpd's listening thread accepts connections and gives
 * each one its own thread (at most API_HTTP_MAX_CONNECTIONS; idle
 * connections are closed after API_HTTP_IDLE_TIMEOUT seconds), so a client
 * that connects and sends nothing never delays another. A connection thread
 * reads the request (bodies up to API_MAX_BODY; larger → 413), calls
 * api_handle() — which may wait for the VMM's control thread — and writes
 * the response; keep-alive is HTTP/1.1's default. */
#ifndef NIMBUS_API_HTTP_H
#define NIMBUS_API_HTTP_H

#include "api/api.h"

#define API_HTTP_MAX_CONNECTIONS 32
#define API_HTTP_IDLE_TIMEOUT 60

struct api_server;

/* A listening AF_UNIX stream socket bound at path (a stale socket file is
 * replaced; anything else at path is an error). fd or -errno. */
__attribute__((warn_unused_result)) int api_listen_unix(const char *path);

/* Serve on listen_fd (taken over: closed by api_server_stop). be must
 * outlive the server. 0 or -errno. */
__attribute__((warn_unused_result)) int api_server_start(int listen_fd, const struct api_backend *be,
							 struct api_server **out);
/* Stop accepting, close every connection, join the threads. NULL is ok. */
void api_server_stop(struct api_server *srv);

#endif

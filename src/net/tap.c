/* net/tap.c — opening and configuring tap devices (see tap.h). */
#include "net/tap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/errmsg.h"

#define VNET_HDR_SIZE 12


static int set_vnet_and_nonblock(int fd, const char *name, char *err, size_t errlen)
{
	int sz = VNET_HDR_SIZE;
	if (ioctl(fd, TUNSETVNETHDRSZ, &sz) < 0)
		return errmsg_set(err, errlen, -errno, "tap %s: TUNSETVNETHDRSZ: %s", name, strerror(errno));
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return errmsg_set(err, errlen, -errno, "tap %s: cannot make it non-blocking: %s", name, strerror(errno));
	return 0;
}

static int set_addr(int sock, const char *ifname, unsigned long req, const char *what, const char *value,
		    char *err, size_t errlen)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	sin->sin_family = AF_INET;
	if (inet_pton(AF_INET, value, &sin->sin_addr) != 1)
		return errmsg_set(err, errlen, -EINVAL, "--net %s=%s: not an IPv4 address", what, value);
	if (ioctl(sock, req, &ifr) < 0)
		return errmsg_set(err, errlen, -errno, "tap %s: cannot set %s %s: %s", ifname, what, value, strerror(errno));
	return 0;
}

static int configure(const char *ifname, const char *ip, const char *mask, char *err, size_t errlen)
{
	int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return errmsg_set(err, errlen, -errno, "tap %s: socket: %s", ifname, strerror(errno));
	int rc = set_addr(sock, ifname, SIOCSIFADDR, "ip", ip, err, errlen);
	if (!rc && mask)
		rc = set_addr(sock, ifname, SIOCSIFNETMASK, "mask", mask, err, errlen);
	if (!rc) {
		struct ifreq ifr;
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
		if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0) {
			rc = errmsg_set(err, errlen, -errno, "tap %s: SIOCGIFFLAGS: %s", ifname, strerror(errno));
		} else {
			ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
			if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0)
				rc = errmsg_set(err, errlen, -errno, "tap %s: cannot bring it up: %s", ifname, strerror(errno));
		}
	}
	close(sock);
	return rc;
}

/* One TUNSETIFF on a new /dev/net/tun fd; *f is the caller's. */
static int open_queue(const char *name, short flags, char ifname[TAP_NAME_MAX], int *f, char *err, size_t errlen)
{
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return errmsg_set(err, errlen, -errno, "--net: cannot open /dev/net/tun: %s%s", strerror(errno),
			    errno == ENOENT ? " (is the tun module loaded?)" : "");
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = flags;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;
		close(fd);
		return errmsg_set(err, errlen, -e, "--net tap=%s: cannot open the tap: %s%s", name, strerror(e),
			    e == EPERM ? " (needs CAP_NET_ADMIN or a tap owned by this user)"
			    : e == EBUSY ? " (in use, or not a tap with these flags)"
			    : e == EINVAL && (flags & IFF_MULTI_QUEUE) ? " (a tap made without multi-queue?)" : "");
	}
	snprintf(ifname, TAP_NAME_MAX, "%s", ifr.ifr_name);
	int rc = set_vnet_and_nonblock(fd, ifname, err, errlen);
	if (rc) {
		close(fd);
		return rc;
	}
	*f = fd;
	return 0;
}

int tap_open(const struct tap_params *p, int *fds, char ifname[TAP_NAME_MAX], char *err, size_t errlen)
{
	const char *name = p->name ? p->name : "";
	if (strlen(name) >= IFNAMSIZ)
		return errmsg_set(err, errlen, -EINVAL, "--net tap=%s: interface names have at most %d characters", name,
			    IFNAMSIZ - 1);
	unsigned nq = p->queues ? p->queues : 1;
	short flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | (nq > 1 ? IFF_MULTI_QUEUE : 0);
	int rc = 0;
	unsigned opened = 0;
	/* The first queue creates or finds the tap; the others join it by name. */
	while (opened < nq && !(rc = open_queue(opened ? ifname : name, flags, ifname, &fds[opened], err, errlen)))
		opened++;
	if (!rc && p->ip && *p->ip)
		rc = configure(ifname, p->ip, p->mask, err, errlen);
	if (rc)
		for (unsigned j = 0; j < opened; j++)
			close(fds[j]);
	return rc;
}

int tap_adopt_fd(int fd, bool multi_queue, char ifname[TAP_NAME_MAX], char *err, size_t errlen)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	if (fcntl(fd, F_GETFD) < 0)
		return errmsg_set(err, errlen, -EBADF, "--net fd=%d: not an open file descriptor", fd);
	if (ioctl(fd, TUNGETIFF, &ifr) < 0)
		return errmsg_set(err, errlen, -EINVAL, "--net fd=%d: not a tap device (%s)", fd, strerror(errno));
	if (!(ifr.ifr_flags & IFF_TAP) || !(ifr.ifr_flags & IFF_NO_PI) || !(ifr.ifr_flags & IFF_VNET_HDR))
		return errmsg_set(err, errlen, -EINVAL, "--net fd=%d: the tap needs IFF_TAP, IFF_NO_PI and IFF_VNET_HDR", fd);
	if (multi_queue && !(ifr.ifr_flags & IFF_MULTI_QUEUE))
		return errmsg_set(err, errlen, -EINVAL, "--net fd=%d: several queue pairs need a tap opened with IFF_MULTI_QUEUE",
			    fd);
	snprintf(ifname, TAP_NAME_MAX, "%s", ifr.ifr_name);
	return set_vnet_and_nonblock(fd, ifname, err, errlen);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int tap_parse_mac(const char *s, uint8_t mac[6])
{
	if (!s || strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		int hi = hexval(s[3 * i]), lo = hexval(s[3 * i + 1]);
		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	if (mac[0] & 1)
		return -EINVAL; /* multicast */
	return 0;
}

void tap_random_mac(uint8_t mac[6])
{
	if (getrandom(mac, 6, 0) != 6)
		memset(mac, 0x5a, 6);
	mac[0] = (uint8_t)((mac[0] & 0xfe) | 0x02); /* unicast, locally administered */
}

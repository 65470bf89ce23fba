/* net/tap.h — tap devices behind virtio-net.
 *
 * A tap is opened with IFF_TAP | IFF_NO_PI | IFF_VNET_HDR and a vnet header
 * size of 12 (the virtio 1.x header), non-blocking. Errors come back as a
 * one-line message for the caller to print.
 */
#ifndef NIMBUS_NET_TAP_H
#define NIMBUS_NET_TAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TAP_NAME_MAX 16 /* IFNAMSIZ */

struct tap_params {
	const char *name; /* tap to use or create; NULL/"" = let the kernel pick */
	const char *ip;   /* IPv4 address for the host end, or NULL */
	const char *mask; /* its netmask, or NULL */
	unsigned queues;  /* 1, or more: IFF_MULTI_QUEUE with one fd per queue */
};

/* Open (or create) the tap with p->queues queues, set the vnet header size
 * on each, configure ip/mask and bring it up when ip is given. fds[0 ..
 * p->queues) are the caller's; *ifname the kernel's name. 0 or -errno with
 * err filled (nothing left open). */
__attribute__((warn_unused_result)) int tap_open(const struct tap_params *p, int *fds, char ifname[TAP_NAME_MAX],
						 char *err, size_t errlen);

/* Check that an fd handed over by the caller is a tap with IFF_VNET_HDR
 * (and IFF_MULTI_QUEUE when `multi_queue`), set its vnet header size and
 * make it non-blocking. 0 or -errno with err. */
__attribute__((warn_unused_result)) int tap_adopt_fd(int fd, bool multi_queue, char ifname[TAP_NAME_MAX], char *err,
						     size_t errlen);

/* "52:54:00:12:34:56" → bytes; 0 or -EINVAL (also for multicast). */
__attribute__((warn_unused_result)) int tap_parse_mac(const char *s, uint8_t mac[6]);
/* A random locally administered unicast MAC. */
void tap_random_mac(uint8_t mac[6]);

#endif

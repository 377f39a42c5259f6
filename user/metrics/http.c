// SPDX-License-Identifier: MIT
/* /metrics and /health over libmicrohttpd's internal polling thread. */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/http.h"

#define HTTP_MAX_CONNECTIONS 32
#define HTTP_PER_IP	     4
#define HTTP_TIMEOUT_S	     10
#define CONTENT_TYPE	     "text/plain; version=0.0.4; charset=utf-8"

struct metrics_http {
	struct MHD_Daemon *d;
	struct metrics_reg *reg;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status, char *body, size_t len,
			     enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
	enum MHD_Result ret;

	if (!r) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, CONTENT_TYPE);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result fixed(struct MHD_Connection *c, unsigned int status, const char *text)
{
	return reply(c, status, (char *)text, strlen(text), MHD_RESPMEM_PERSISTENT);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_len, void **state)
{
	struct metrics_http *h = cls;
	size_t len;
	char *text;

	(void)version;
	(void)upload;
	(void)state;
	if (*upload_len) /* a body we do not want: drop the connection */
		return MHD_NO;
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return fixed(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
	if (!strcmp(url, "/health"))
		return fixed(c, MHD_HTTP_OK, "ok\n");
	if (strcmp(url, "/metrics"))
		return fixed(c, MHD_HTTP_NOT_FOUND, "not found (try /metrics or /health)\n");
	text = metrics_reg_render(h->reg, &len);
	if (!text)
		return fixed(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	return reply(c, MHD_HTTP_OK, text, len, MHD_RESPMEM_MUST_FREE);
}

/* bind:port as a socket address; the flags MHD needs for its family. */
static int make_addr(const char *bind, uint16_t port, struct sockaddr_storage *ss,
		     unsigned int *flags)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, bind, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		return 0;
	}
	if (inet_pton(AF_INET6, bind, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*flags |= MHD_USE_IPv6;
		return 0;
	}
	return -EINVAL;
}

struct metrics_http *metrics_http_start(struct metrics_reg *reg, const char *bind, uint16_t port,
					char *why, size_t len)
{
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;
	struct metrics_http *h = calloc(1, sizeof(*h));
	struct sockaddr_storage ss;

	if (!h) {
		snprintf(why, len, "out of memory");
		return NULL;
	}
	h->reg = reg;
	if (make_addr(bind, port, &ss, &flags)) {
		snprintf(why, len, "--prometheus-bind %s: not an IP address", bind);
		free(h);
		errno = EINVAL;
		return NULL;
	}
	h->d = MHD_start_daemon(flags, port, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR, &ss,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTP_MAX_CONNECTIONS,
				MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)HTTP_PER_IP,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_TIMEOUT_S,
				MHD_OPTION_END);
	if (!h->d) {
		int err = errno ? errno : EADDRINUSE;

		snprintf(why, len, "cannot listen on %s%s%s:%u for Prometheus: %s",
			 strchr(bind, ':') ? "[" : "", bind, strchr(bind, ':') ? "]" : "", port,
			 strerror(err));
		free(h);
		errno = err;
		return NULL;
	}
	return h;
}

void metrics_http_stop(struct metrics_http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->d);
	free(h);
}

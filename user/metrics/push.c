// SPDX-License-Identifier: MIT
/*
 * Pushes on a thread of their own; one failure line per failed push.
 *
 * libcurl is opened (dlopen) when a push gateway is configured, not linked:
 * linked, it and the libraries it needs (libssl, Kerberos, LDAP, SSH, HTTP/2,
 * ...) were loaded and relocated in every process, ~1.5 MB of an idle
 * server's resident memory for a feature most servers do not use.
 */
#include <curl/curl.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "metrics/push.h"

#define PUSH_TIMEOUT_S 10

struct metrics_push {
	struct metrics_reg *reg;
	char url[1400];
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool pending, stop;
};

bool metrics_push_url_ok(const char *url)
{
	size_t n = strlen(url);

	if (n >= 1024)
		return false;
	if (!strncmp(url, "http://", 7))
		return n > 7 && url[7] != '/';
	if (!strncmp(url, "https://", 8))
		return n > 8 && url[8] != '/';
	return false;
}

/* The body: the curl read callback hands it out in pieces. */
struct body {
	const char *p;
	size_t left;
};

static size_t read_body(char *buf, size_t size, size_t n, void *cls)
{
	struct body *b = cls;
	size_t k = size * n < b->left ? size * n : b->left;

	memcpy(buf, b->p, k);
	b->p += k;
	b->left -= k;
	return k;
}

static size_t discard(char *buf, size_t size, size_t n, void *cls)
{
	(void)buf;
	(void)cls;
	return size * n;
}

/* The part of libcurl a push uses, from dlopen. */
static struct {
	CURLcode (*global_init)(long flags);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *c, CURLoption opt, ...);
	CURLcode (*easy_perform)(CURL *c);
	CURLcode (*easy_getinfo)(CURL *c, CURLINFO info, ...);
	void (*easy_cleanup)(CURL *c);
	const char *(*easy_strerror)(CURLcode rc);
	struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
	void (*slist_free_all)(struct curl_slist *l);
} cu;
static pthread_once_t cu_once = PTHREAD_ONCE_INIT;
static char cu_error[200];

#define CU_SYM(field, name)                                                                        \
	do {                                                                                       \
		*(void **)&cu.field = dlsym(h, name);                                              \
		if (!cu.field) {                                                                   \
			snprintf(cu_error, sizeof(cu_error), "libcurl has no %s", name);           \
			goto fail;                                                                 \
		}                                                                                  \
	} while (0)

/* Once per process; kept open (libcurl's global state lives until exit). */
static void cu_load(void)
{
	void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		snprintf(cu_error, sizeof(cu_error), "cannot load libcurl.so.4: %s", dlerror());
		return;
	}
	CU_SYM(global_init, "curl_global_init");
	CU_SYM(global_cleanup, "curl_global_cleanup");
	CU_SYM(easy_init, "curl_easy_init");
	CU_SYM(easy_setopt, "curl_easy_setopt");
	CU_SYM(easy_perform, "curl_easy_perform");
	CU_SYM(easy_getinfo, "curl_easy_getinfo");
	CU_SYM(easy_cleanup, "curl_easy_cleanup");
	CU_SYM(easy_strerror, "curl_easy_strerror");
	CU_SYM(slist_append, "curl_slist_append");
	CU_SYM(slist_free_all, "curl_slist_free_all");
	return;
fail:
	memset(&cu, 0, sizeof(cu));
	dlclose(h);
}

static void push_once(struct metrics_push *p)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdr = NULL;
	struct body b;
	long status = 0;
	size_t len;
	char *text = metrics_reg_render(p->reg, &len);
	CURL *c = text ? cu.easy_init() : NULL;
	CURLcode rc;

	if (!c) {
		pr_warn("push gateway: out of memory");
		free(text);
		return;
	}
	b = (struct body){text, len};
	hdr = cu.slist_append(hdr, "Content-Type: text/plain; version=0.0.4");
	cu.easy_setopt(c, CURLOPT_URL, p->url);
	cu.easy_setopt(c, CURLOPT_UPLOAD, 1L); /* PUT: replace the group */
	cu.easy_setopt(c, CURLOPT_READFUNCTION, read_body);
	cu.easy_setopt(c, CURLOPT_READDATA, &b);
	cu.easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	cu.easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	cu.easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	cu.easy_setopt(c, CURLOPT_TIMEOUT, (long)PUSH_TIMEOUT_S);
	cu.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	cu.easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	cu.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	rc = cu.easy_perform(c);
	cu.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK)
		pr_warn("push gateway %s: %s", p->url, errbuf[0] ? errbuf : cu.easy_strerror(rc));
	else if (status < 200 || status > 299)
		pr_warn("push gateway %s: HTTP %ld", p->url, status);
	else
		pr_debug("push gateway: pushed %zu bytes", len);
	cu.slist_free_all(hdr);
	cu.easy_cleanup(c);
	free(text);
}

static void *push_thread(void *arg)
{
	struct metrics_push *p = arg;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!p->pending && !p->stop)
			pthread_cond_wait(&p->cond, &p->lock);
		if (!p->pending)
			break;
		p->pending = false;
		pthread_mutex_unlock(&p->lock);
		push_once(p);
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* "%2F"-style escaping of the instance for the URL path. */
static void escape_path(char *out, size_t len, const char *in)
{
	size_t n = 0;

	for (; *in && n + 4 < len; in++) {
		unsigned char c = (unsigned char)*in;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-._:", c))
			out[n++] = (char)c;
		else
			n += (size_t)snprintf(out + n, len - n, "%%%02X", c);
	}
	out[n] = '\0';
}

struct metrics_push *metrics_push_start(struct metrics_reg *reg, const char *url, const char *job,
					const char *instance, char *why, size_t len)
{
	struct metrics_push *p = calloc(1, sizeof(*p));
	char inst[256];
	int err;

	if (!p) {
		snprintf(why, len, "out of memory");
		return NULL;
	}
	pthread_once(&cu_once, cu_load);
	if (!cu.global_init) {
		snprintf(why, len, "--push-gateway: %s", cu_error);
		free(p);
		return NULL;
	}
	if (cu.global_init(CURL_GLOBAL_DEFAULT)) {
		snprintf(why, len, "--push-gateway: libcurl cannot start");
		free(p);
		return NULL;
	}
	escape_path(inst, sizeof(inst), instance);
	snprintf(p->url, sizeof(p->url), "%s%smetrics/job/%s/instance/%s", url,
		 url[strlen(url) - 1] == '/' ? "" : "/", job, inst);
	p->reg = reg;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	err = pthread_create(&p->thread, NULL, push_thread, p);
	if (err) {
		snprintf(why, len, "--push-gateway: cannot start its thread: %s", strerror(err));
		pthread_cond_destroy(&p->cond);
		pthread_mutex_destroy(&p->lock);
		cu.global_cleanup();
		free(p);
		return NULL;
	}
	return p;
}

void metrics_push_kick(struct metrics_push *p)
{
	pthread_mutex_lock(&p->lock);
	p->pending = true;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

void metrics_push_stop(struct metrics_push *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	cu.global_cleanup();
	free(p);
}

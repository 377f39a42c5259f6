// SPDX-License-Identifier: MIT
/* The control codec's encoder (proto_priv.h): a struct proto_msg into one line, in table order. */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "control/proto_priv.h"
#include "wire.h"
#include "util.h"

static bool enc_wanted(const struct field *f, const void *base)
{
	const struct proto_hello *h = base;
	const char *s = AT(base, f->off, const char);

	if (f->flags & (F_REQ | F_OUT))
		return true;
	if (f->flags & F_HAS)
		return *AT(base, f->has, const bool);
	switch (f->kind) {
	case K_SOFT:
		return s[0] && h->from_server == !strcmp(f->name, "server");
	case K_U64:
		return *AT(base, f->off, const uint64_t) != 0;
	case K_U32:
		return *AT(base, f->off, const uint32_t) != 0;
	case K_U16:
		return *AT(base, f->off, const uint16_t) != 0;
	case K_DSCP:
		return *AT(base, f->off, const int) >= 0;
	case K_BOOL:
		return *AT(base, f->off, const bool);
	case K_DBL:
		return *AT(base, f->off, const double) != 0;
	case K_CAPS:
		return h->has_caps || h->caps;
	case K_JSON:
		return *AT(base, f->off, char *const) != NULL;
	case K_DROPS:
		return ((const struct proto_stream *)base)->has_drops_rx ||
		       ((const struct proto_stream *)base)->has_drops_tx;
	default:
		return s[0] != '\0';
	}
}

static json_t *enc_u64(uint64_t v)
{
	return json_integer(v > I64 ? INT64_MAX : (json_int_t)v);
}

static json_t *enc_caps(const struct proto_hello *h)
{
	json_t *a = json_array();
	unsigned int i;

	for (i = 0; a && i < pc_ncap_names; i++) {
		if ((h->caps & (1u << i)) &&
		    json_array_append_new(a, json_string(pc_cap_names[i]))) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *enc_ports(const struct proto_test_ack *a)
{
	json_t *arr = json_array();
	uint32_t i;

	for (i = 0; arr && i < a->nports && i < XFR_MAX_STREAMS; i++) {
		if (json_array_append_new(arr, json_integer(a->data_ports[i]))) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

static int enc_fields(json_t *o, const struct field *fs, size_t n, const void *base);

/* Names a peer would refuse (only a bug of ours could make one) are left out. */
static json_t *enc_drops_side(const struct proto_drops *d)
{
	json_t *o = json_object();

	for (uint32_t i = 0; o && i < d->n && i < ARRAY_SIZE(d->d); i++) {
		const char *k = d->d[i].reason;

		if (!pc_reason_ok(k, strnlen(k, sizeof(d->d[i].reason))))
			continue;
		if (json_object_set_new(o, k, enc_u64(d->d[i].packets))) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

static json_t *enc_drops(const struct proto_stream *st)
{
	json_t *o = json_object();

	if (o && st->has_drops_rx && json_object_set_new(o, "rx", enc_drops_side(&st->drops_rx)))
		goto fail;
	if (o && st->has_drops_tx && json_object_set_new(o, "tx", enc_drops_side(&st->drops_tx)))
		goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

/* A K_NAME value we would refuse from a peer is refused here too. */
static json_t *enc_name(const struct field *f, const char *s)
{
	return pc_name_index(f->names, s, strlen(s)) >= 0 ? json_string(s) : NULL;
}

static json_t *enc_obj(const struct field *fs, size_t n, const void *base)
{
	json_t *o = json_object();

	if (o && enc_fields(o, fs, n, base)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *enc_streams(const struct field *f, const void *base)
{
	const struct proto_stream *st = AT(base, f->off, const struct proto_stream);
	uint32_t i, n = *AT(base, f->has, const uint32_t);
	json_t *a = json_array();

	for (i = 0; a && i < n && i < XFR_MAX_STREAMS; i++) {
		if (json_array_append_new(a, enc_obj(f->sub, f->nsub, &st[i]))) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *enc_enum(const struct field *f, const void *base)
{
	unsigned int i;

	if (f->kind == K_PROTO)
		i = *AT(base, f->off, const enum xfr_proto);
	else
		i = *AT(base, f->off, const enum xfr_dir);
	if (i >= 3)
		return NULL;
	return json_string(f->kind == K_PROTO ? proto_names[i] : dir_names[i]);
}

static json_t *enc_value(const struct field *f, const void *base)
{
	const void *p = AT(base, f->off, const char);
	double d;

	switch (f->kind) {
	case K_PROTO:
	case K_DIR:
		return enc_enum(f, base);
	case K_U64:
		return enc_u64(*(const uint64_t *)p);
	case K_U32:
		return json_integer(*(const uint32_t *)p);
	case K_U16:
		return json_integer(*(const uint16_t *)p);
	case K_DSCP:
		return json_integer(*(const int *)p);
	case K_BOOL:
		return json_boolean(*(const bool *)p);
	case K_DBL:
		d = *(const double *)p;
		/* stay inside what proto_decode accepts; NaN becomes 0 */
		return json_real(!(d >= 0) ? 0.0 : d > pc_dbl_max(f) ? pc_dbl_max(f) : d);
	case K_CAPS:
		return enc_caps(base);
	case K_AUTH:
		return json_pack("{s:s,s:s}", "method", "psk", "nonce", (const char *)p);
	case K_PORTS:
		return enc_ports(base);
	case K_OBJ:
		return enc_obj(f->sub, f->nsub, p);
	case K_STREAMS:
		return enc_streams(f, base);
	case K_JSON:
		return json_loads(*(char *const *)p, 0, NULL);
	case K_DROPS:
		return enc_drops(base);
	case K_NAME:
		return enc_name(f, p);
	default:
		return json_string(p);
	}
}

static int enc_fields(json_t *o, const struct field *fs, size_t n, const void *base)
{
	const struct field *f;

	for (f = fs; f < fs + n; f++) {
		if (!enc_wanted(f, base))
			continue;
		if (json_object_set_new(o, f->name, enc_value(f, base)))
			return -1;
	}
	return 0;
}

char *proto_encode(const struct proto_msg *m, size_t *len)
{
	json_t *o;
	char *s, *line;
	size_t n;

	if ((unsigned int)m->type >= MSG__COUNT) {
		errno = EINVAL;
		return NULL;
	}
	o = json_object();
	if (!o || json_object_set_new(o, "type", json_string(pc_msgs[m->type].name)) ||
	    enc_fields(o, pc_msgs[m->type].fields, pc_msgs[m->type].n, &m->hello)) {
		json_decref(o);
		errno = EINVAL; /* a string that is not UTF-8, an enum out of range, ENOMEM */
		return NULL;
	}
	s = json_dumps(o, DUMP_FLAGS);
	json_decref(o);
	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	n = strlen(s);
	if (n + 1 > PROTO_MAX_LINE) {
		free(s);
		errno = EMSGSIZE; /* a peer would refuse the line */
		return NULL;
	}
	line = realloc(s, n + 2);
	if (!line) {
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	line[n] = '\n';
	line[n + 1] = '\0';
	if (len)
		*len = n + 1;
	return line;
}

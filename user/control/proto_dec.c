// SPDX-License-Identifier: MIT
/*
 * The control codec's decoder (proto_priv.h): a line of JSON into a struct
 * proto_msg by the message's field table; type and range checks, errors
 * naming the field.
 */
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

/* Zero [from, to) of m, skipping the streams array of an interval or result. */
static void zero_but_streams(struct proto_msg *m, size_t from, size_t to)
{
	size_t s = offsetof(struct proto_msg, interval.streams);
	size_t e = s + sizeof(m->interval.streams);

	if (m->type == MSG_RESULT) {
		s = offsetof(struct proto_msg, result.streams);
		e = s + sizeof(m->result.streams);
	} else if (m->type != MSG_INTERVAL) {
		s = e = to;
	}
	memset((char *)m + from, 0, (s < to ? s : to) - from);
	if (e < to)
		memset((char *)m + e, 0, to - e);
}

/*
 * proto_msg_init for the decoder: a message is ~270 KB because of the 128
 * stream entries of an interval or result, and every line a peer sends is
 * decoded into one. Zero only the message's own member without its streams;
 * dec_streams zeroes each entry it fills (nothing reads past nstreams).
 */
static void init_for_decode(struct proto_msg *m, enum proto_type t)
{
	static const size_t size[MSG__COUNT] = {
		[MSG_HELLO] = sizeof(struct proto_hello),
		[MSG_AUTH_RESPONSE] = sizeof(struct proto_text),
		[MSG_AUTH_SUCCESS] = sizeof(struct proto_text),
		[MSG_TEST_START] = sizeof(struct proto_test_start),
		[MSG_TEST_ACK] = sizeof(struct proto_test_ack),
		[MSG_DATA_HELLO] = sizeof(struct proto_data_hello),
		[MSG_INTERVAL] = sizeof(struct proto_interval),
		[MSG_RESULT] = sizeof(struct proto_result),
	};
	size_t n = (unsigned int)t < MSG__COUNT && size[t] ? size[t] : sizeof(struct proto_text);

	m->type = t;
	zero_but_streams(m, offsetof(struct proto_msg, hello),
			 offsetof(struct proto_msg, hello) + n);
	if (t == MSG_TEST_START)
		m->start.dscp = -1;
}
/*
 * Copy peer text for display: at most size-1 bytes, cut on a UTF-8 character
 * boundary, control characters (and with ascii, every non-ASCII byte) as '?'.
 */
static void copy_text(char *dst, size_t size, const char *src, size_t n, bool ascii)
{
	size_t i, k = n < size - 1 ? n : size - 1;

	while (k > 0 && k < n && ((unsigned char)src[k] & 0xc0) == 0x80)
		k--;
	for (i = 0; i < k; i++) {
		unsigned char ch = src[i];

		dst[i] = (ch < 0x20 || ch == 0x7f || (ascii && ch > 0x7e)) ? '?' : (char)ch;
	}
	dst[k] = '\0';
}

static int set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* "field <prefix><name>: <what>" */
static int ferr(const struct dctx *c, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int ferr(const struct dctx *c, const char *name, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(c->err, c->errlen, "field %s%s: ", c->prefix, name);
	if (n < 0 || (size_t)n >= c->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errlen - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Upper bound of a real field: its own .max (percentages), else DBL_FIELD_MAX. */
double pc_dbl_max(const struct field *f)
{
	return f->max ? (double)f->max : DBL_FIELD_MAX;
}

static const char *kind_type(unsigned int kind)
{
	if (kind <= K_DIR)
		return "string";
	if (kind <= K_DSCP)
		return "integer";
	switch (kind) {
	case K_BOOL:
		return "boolean";
	case K_DBL:
		return "number";
	case K_CAPS:
		return "array of strings";
	case K_PORTS:
		return "array of integers";
	case K_STREAMS:
		return "array of objects";
	default:
		return "object";
	}
}

static void sub_ctx(struct dctx *s, const struct dctx *c, json_t *obj, char *pfx, size_t size,
		    const char *name, long idx)
{
	if (idx < 0)
		snprintf(pfx, size, "%s%s.", c->prefix, name);
	else
		snprintf(pfx, size, "%s%s[%ld].", c->prefix, name, idx);
	*s = (struct dctx){.obj = obj, .prefix = pfx, .err = c->err, .errlen = c->errlen};
}

static bool str_chars_ok(unsigned int kind, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char ch = s[i];
		bool ok;

		if (kind == K_ID)
			ok = ch >= 0x20 && ch <= 0x7e;
		else if (kind == K_HEX)
			ok = (ch >= '0' && ch <= '9') || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f');
		else if (kind == K_CC)
			ok = (ch >= '0' && ch <= '9') ||
			     ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z') || ch == '_' || ch == '-';
		else
			ok = ch >= 0x20 && ch != 0x7f;
		if (!ok)
			return false;
	}
	return true;
}

static int dec_enum(const struct dctx *c, const struct field *f, const char *s, size_t n,
		    void *base)
{
	const char *const *names = f->kind == K_PROTO ? proto_names : dir_names;
	char shown[TYPE_PRINT_MAX + 1];
	int i;

	for (i = 0; i < 3; i++) {
		if (strlen(names[i]) == n && !memcmp(names[i], s, n)) {
			if (f->kind == K_PROTO)
				*AT(base, f->off, enum xfr_proto) = i;
			else
				*AT(base, f->off, enum xfr_dir) = i;
			return 0;
		}
	}
	copy_text(shown, sizeof(shown), s, n, true);
	return ferr(c, f->name, "invalid value \"%s\" (expected %s, %s or %s)", shown, names[0],
		    names[1], names[2]);
}

/* "socket, auto, xdp or afxdp" */
static void names_list(const char *const *names, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; names[i] && n < size; i++)
		n += snprintf(buf + n, size - n, "%s%s",
			      i == 0	     ? ""
			      : names[i + 1] ? ", "
					     : " or ",
			      names[i]);
}

int pc_name_index(const char *const *names, const char *s, size_t n)
{
	for (int i = 0; names[i]; i++)
		if (strlen(names[i]) == n && !memcmp(names[i], s, n))
			return i;
	return -1;
}

static int dec_name(const struct dctx *c, const struct field *f, const char *s, size_t n, char *dst)
{
	char shown[TYPE_PRINT_MAX + 1], list[96];
	int i = pc_name_index(f->names, s, n);

	if (i >= 0) {
		strcpy(dst, f->names[i]); /* the struct's array fits the longest name */
		return 0;
	}
	copy_text(shown, sizeof(shown), s, n, true);
	names_list(f->names, list, sizeof(list));
	return ferr(c, f->name, "invalid value \"%s\" (expected %s)", shown, list);
}

static int dec_string(const struct dctx *c, const struct field *f, json_t *v, void *base)
{
	char *dst = AT(base, f->off, char);
	const char *s;
	size_t n;

	if (!json_is_string(v))
		return ferr(c, f->name, "expected string");
	s = json_string_value(v);
	n = json_string_length(v);
	if (f->kind == K_PROTO || f->kind == K_DIR)
		return dec_enum(c, f, s, n, base);
	if (f->kind == K_NAME)
		return dec_name(c, f, s, n, dst);
	if (f->kind == K_TEXT) {
		copy_text(dst, f->max + 1, s, n, false);
		return 0;
	}
	if (f->kind == K_HEX && (n != f->max || !str_chars_ok(K_HEX, s, n)))
		return ferr(c, f->name, "expected %" PRIu64 " hex characters", f->max);
	if (n < f->min || n > f->max)
		return ferr(c, f->name, "length %zu out of range %" PRIu64 "..%" PRIu64, n, f->min,
			    f->max);
	if (!str_chars_ok(f->kind, s, n))
		return ferr(c, f->name, "invalid character");
	memcpy(dst, s, n);
	dst[n] = '\0';
	if (f->kind == K_SOFT)
		((struct proto_hello *)base)->from_server = !strcmp(f->name, "server");
	return 0;
}

static int dec_int(const struct dctx *c, const struct field *f, json_t *v, void *base)
{
	json_int_t i;

	if (!json_is_integer(v))
		return ferr(c, f->name, "expected integer");
	i = json_integer_value(v);
	if (i < 0 || (uint64_t)i < f->min || (uint64_t)i > f->max)
		return ferr(c, f->name,
			    "%" JSON_INTEGER_FORMAT " out of range %" PRIu64 "..%" PRIu64, i,
			    f->min, f->max);
	if (f->kind == K_U64)
		*AT(base, f->off, uint64_t) = i;
	else if (f->kind == K_U32)
		*AT(base, f->off, uint32_t) = i;
	else if (f->kind == K_U16)
		*AT(base, f->off, uint16_t) = i;
	else
		*AT(base, f->off, int) = i;
	return 0;
}

static int dec_caps(const struct dctx *c, const struct field *f, json_t *v, void *base)
{
	struct proto_hello *h = base;
	json_t *e;
	size_t i;

	if (!json_is_array(v))
		return ferr(c, f->name, "expected array of strings");
	json_array_foreach(v, i, e)
	{
		if (!json_is_string(e))
			return ferr(c, f->name, "expected array of strings");
		if (json_string_length(e) > CAP_NAME_MAX)
			return ferr(c, f->name, "name longer than %d characters", CAP_NAME_MAX);
		h->caps |= pc_cap_bit(json_string_value(e));
	}
	h->has_caps = true;
	return 0;
}

static int dec_fields(const struct dctx *c, const struct field *fs, size_t n, void *base);

/* hello "auth": the fields of its object (dec_auth) */
static const struct field auth_f[] = {
	FR("nonce", K_HEX, struct proto_hello, auth_nonce, 64, 64),
};

static int dec_auth(const struct dctx *c, const struct field *f, json_t *v, void *base)
{
	char pfx[96], shown[TYPE_PRINT_MAX + 1];
	struct dctx s;
	json_t *m;

	if (!json_is_object(v))
		return ferr(c, f->name, "expected object");
	sub_ctx(&s, c, v, pfx, sizeof(pfx), f->name, -1);
	m = json_object_get(v, "method");
	if (!m)
		return ferr(&s, "method", "missing");
	if (!json_is_string(m))
		return ferr(&s, "method", "expected string");
	if (strcmp(json_string_value(m), "psk")) {
		copy_text(shown, sizeof(shown), json_string_value(m), json_string_length(m), true);
		return ferr(&s, "method", "unsupported value \"%s\"", shown);
	}
	return dec_fields(&s, auth_f, ARRAY_SIZE(auth_f), base);
}

static int dec_ports(const struct dctx *c, const struct field *f, json_t *v, void *base)
{
	struct proto_test_ack *a = base;
	char name[32];
	json_int_t p;
	json_t *e;
	size_t i;

	if (!json_is_array(v))
		return ferr(c, f->name, "expected array of integers");
	if (json_array_size(v) > XFR_MAX_STREAMS)
		return ferr(c, f->name, "%zu entries out of range 0..%d", json_array_size(v),
			    XFR_MAX_STREAMS);
	json_array_foreach(v, i, e)
	{
		if (!json_is_integer(e))
			return ferr(c, f->name, "expected array of integers");
		p = json_integer_value(e);
		snprintf(name, sizeof(name), "%s[%zu]", f->name, i);
		if (p < (json_int_t)f->min || p > (json_int_t)f->max)
			return ferr(c, name,
				    "%" JSON_INTEGER_FORMAT " out of range %" PRIu64 "..%" PRIu64,
				    p, f->min, f->max);
		a->data_ports[i] = p;
	}
	a->nports = json_array_size(v);
	return 0;
}

static int dec_obj(const struct dctx *c, const struct field *f, json_t *v, void *base)
{
	char pfx[96];
	struct dctx s;

	if (!json_is_object(v))
		return ferr(c, f->name, "expected object");
	sub_ctx(&s, c, v, pfx, sizeof(pfx), f->name, -1);
	return dec_fields(&s, f->sub, f->nsub, AT(base, f->off, char));
}

static int dec_streams(const struct dctx *c, const struct field *f, json_t *v, void *base)
{
	struct proto_stream *st = AT(base, f->off, struct proto_stream);
	char pfx[96];
	struct dctx s;
	json_t *e;
	size_t i;
	int rc;

	if (!json_is_array(v))
		return ferr(c, f->name, "expected array of objects");
	if (json_array_size(v) > XFR_MAX_STREAMS)
		return ferr(c, f->name, "%zu entries out of range 0..%d", json_array_size(v),
			    XFR_MAX_STREAMS);
	json_array_foreach(v, i, e)
	{
		if (!json_is_object(e))
			return ferr(c, f->name, "expected array of objects");
		sub_ctx(&s, c, e, pfx, sizeof(pfx), f->name, i);
		memset(&st[i], 0,
		       sizeof(st[i])); /* the decoder's message leaves streams as they were */
		rc = dec_fields(&s, f->sub, f->nsub, &st[i]);
		if (rc)
			return rc;
	}
	*AT(base, f->has, uint32_t) = json_array_size(v);
	return 0;
}

/* A kernel drop reason without its SKB_DROP_REASON_ prefix: [A-Z0-9_], 1..39 chars. */
bool pc_reason_ok(const char *s, size_t n)
{
	if (n < 1 || n >= sizeof(((struct proto_drops *)0)->d[0].reason))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

/* One side of "drops_by_reason": {REASON: packets, ...}, at most PROTO_MAX_DROPS reasons. */
static int dec_drops_side(const struct dctx *c, const char *side, json_t *v, struct proto_drops *d,
			  bool *has)
{
	char pfx[96], shown[TYPE_PRINT_MAX + 1];
	const char *k;
	struct dctx s;
	json_int_t i;
	size_t max = ARRAY_SIZE(d->d);
	json_t *e;

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return ferr(c, side, "expected object");
	if (json_object_size(v) > max)
		return ferr(c, side, "%zu entries out of range 0..%zu", json_object_size(v), max);
	sub_ctx(&s, c, v, pfx, sizeof(pfx), side, -1);
	json_object_foreach(v, k, e)
	{
		if (!pc_reason_ok(k, strlen(k))) {
			copy_text(shown, sizeof(shown), k, strlen(k), true);
			return ferr(c, side, "invalid reason name \"%s\"", shown);
		}
		if (!json_is_integer(e))
			return ferr(&s, k, "expected integer");
		i = json_integer_value(e);
		if (i < 0)
			return ferr(&s, k, "%" JSON_INTEGER_FORMAT " out of range 0..%" PRIu64, i,
				    I64);
		strcpy(d->d[d->n].reason, k);
		d->d[d->n++].packets = i;
	}
	*has = true;
	return 0;
}

static int dec_drops(const struct dctx *c, const struct field *f, json_t *v, void *base)
{
	struct proto_stream *st = base;
	char pfx[96];
	struct dctx s;
	int rc;

	if (!json_is_object(v))
		return ferr(c, f->name, "expected object");
	sub_ctx(&s, c, v, pfx, sizeof(pfx), f->name, -1);
	rc = dec_drops_side(&s, "rx", json_object_get(v, "rx"), &st->drops_rx, &st->has_drops_rx);
	if (!rc)
		rc = dec_drops_side(&s, "tx", json_object_get(v, "tx"), &st->drops_tx,
				    &st->has_drops_tx);
	return rc;
}

/* Recursion depth is bounded by the nesting guard applied to the whole line. */
static bool reals_ok(json_t *v)
{
	const char *k;
	json_t *e;
	size_t i;

	if (json_is_real(v))
		return fabs(json_real_value(v)) <= DBL_ANY_MAX;
	if (json_is_array(v)) {
		json_array_foreach(v, i, e) if (!reals_ok(e)) return false;
	}
	if (json_is_object(v)) {
		json_object_foreach(v, k, e) if (!reals_ok(e)) return false;
	}
	return true;
}

static int dec_json(const struct dctx *c, const struct field *f, json_t *v, void *base)
{
	char **dst = AT(base, f->off, char *);

	if (!json_is_object(v))
		return ferr(c, f->name, "expected object");
	if (!reals_ok(v))
		return ferr(c, f->name, "number out of range");
	free(*dst);
	*dst = json_dumps(v, DUMP_FLAGS);
	if (!*dst)
		return ferr(c, f->name, "out of memory");
	return 0;
}

static int dec_value(const struct dctx *c, const struct field *f, json_t *v, void *base)
{
	switch (f->kind) {
	case K_BOOL:
		if (!json_is_boolean(v))
			return ferr(c, f->name, "expected boolean");
		*AT(base, f->off, bool) = json_is_true(v);
		return 0;
	case K_DBL:
		if (!json_is_number(v))
			return ferr(c, f->name, "expected number");
		if (!(json_number_value(v) >= 0 && json_number_value(v) <= pc_dbl_max(f)))
			return ferr(c, f->name, "%g out of range 0..%g", json_number_value(v),
				    pc_dbl_max(f));
		*AT(base, f->off, double) = json_number_value(v);
		return 0;
	case K_CAPS:
		return dec_caps(c, f, v, base);
	case K_AUTH:
		return dec_auth(c, f, v, base);
	case K_PORTS:
		return dec_ports(c, f, v, base);
	case K_OBJ:
		return dec_obj(c, f, v, base);
	case K_STREAMS:
		return dec_streams(c, f, v, base);
	case K_JSON:
		return dec_json(c, f, v, base);
	case K_DROPS:
		return dec_drops(c, f, v, base);
	default:
		return f->kind <= K_DIR ? dec_string(c, f, v, base) : dec_int(c, f, v, base);
	}
}

/* null counts as absent: fine for optional fields, a wrong type for required ones. */
static int dec_fields(const struct dctx *c, const struct field *fs, size_t n, void *base)
{
	const struct field *f;
	json_t *v;
	int rc;

	for (f = fs; f < fs + n; f++) {
		v = json_object_get(c->obj, f->name);
		if (!v || json_is_null(v)) {
			if (!(f->flags & F_REQ))
				continue;
			if (v)
				return ferr(c, f->name, "expected %s", kind_type(f->kind));
			return ferr(c, f->name, "missing");
		}
		rc = dec_value(c, f, v, base);
		if (rc)
			return rc;
		if (f->flags & F_HAS)
			*AT(base, f->has, bool) = true;
	}
	return 0;
}

/* Bracket depth outside strings; lets us refuse deep nesting before parsing. */
static bool too_deep(const char *s, size_t n)
{
	bool in_str = false, esc = false;
	long depth = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		char ch = s[i];

		if (in_str) {
			if (esc)
				esc = false;
			else if (ch == '\\')
				esc = true;
			else if (ch == '"')
				in_str = false;
		} else if (ch == '"') {
			in_str = true;
		} else if (ch == '[' || ch == '{') {
			if (++depth > PROTO_MAX_DEPTH)
				return true;
		} else if (ch == ']' || ch == '}') {
			depth--;
		}
	}
	return false;
}

static int parse_line(const char *line, size_t len, json_t **root, char *err, size_t errlen)
{
	const char *bad = "malformed control message";
	json_error_t jerr;

	if (memchr(line, '\0', len))
		return set_err(err, errlen, "%s", bad);
	if (too_deep(line, len))
		return set_err(err, errlen, "%s: nested deeper than %d levels", bad,
			       PROTO_MAX_DEPTH);
	/* Duplicate keys are refused: two values for one field are ambiguous. */
	*root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!*root) {
		if (json_error_code(&jerr) == json_error_numeric_overflow)
			return set_err(err, errlen, "%s: number out of range", bad);
		if (json_error_code(&jerr) == json_error_duplicate_key)
			return set_err(err, errlen, "%s: duplicate key", bad);
		return set_err(err, errlen, "%s", bad);
	}
	if (!json_is_object(*root)) {
		json_decref(*root);
		return set_err(err, errlen, "%s", bad);
	}
	return 0;
}

static int find_type(json_t *root, enum proto_type *t, char *err, size_t errlen)
{
	json_t *v = json_object_get(root, "type");
	char shown[TYPE_PRINT_MAX + 1];
	const char *s;
	size_t n;
	int i;

	if (!v || json_is_null(v))
		return set_err(err, errlen, "field type: missing");
	if (!json_is_string(v))
		return set_err(err, errlen, "field type: expected string");
	s = json_string_value(v);
	n = json_string_length(v);
	for (i = 0; i < MSG__COUNT; i++) {
		if (strlen(pc_msgs[i].name) == n && !memcmp(pc_msgs[i].name, s, n)) {
			*t = i;
			return 0;
		}
	}
	copy_text(shown, sizeof(shown), s, n, true);
	return set_err(err, errlen, "unknown message type \"%s\"", shown);
}

/* Checks across fields, after the per-field ones. */
static int check_msg(const struct proto_msg *m, char *err, size_t errlen)
{
	if (m->type == MSG_TEST_ACK && m->ack.udp_token[0] && m->ack.nports)
		return set_err(err, errlen, "field udp_token: not allowed with data_ports");
	return 0;
}

int proto_decode(const char *line, size_t len, struct proto_msg *m, char *err, size_t errlen)
{
	char scratch[PROTO_TEXT_MAX];
	enum proto_type t = MSG_ERROR;
	struct dctx c;
	json_t *root = NULL;
	int rc;

	if (!err || !errlen) {
		err = scratch;
		errlen = sizeof(scratch);
	}
	init_for_decode(m, MSG_ERROR);
	rc = parse_line(line, len, &root, err, errlen);
	if (rc)
		return rc;
	rc = find_type(root, &t, err, errlen);
	if (!rc) {
		init_for_decode(m, t);
		c = (struct dctx){.obj = root, .prefix = "", .err = err, .errlen = errlen};
		rc = dec_fields(&c, pc_msgs[t].fields, pc_msgs[t].n, &m->hello);
	}
	if (!rc)
		rc = check_msg(m, err, errlen);
	json_decref(root);
	if (rc)
		proto_msg_free(m);
	return rc;
}

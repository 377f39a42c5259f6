// SPDX-License-Identifier: MIT
/*
 * The --json document (also -o FILE and the json-stream "end" event): field
 * names of the reference (xfr-reference §3.1) first, then ours. The schema is
 * docs/schema/result.schema.json; docs/OUTPUT.md explains every field.
 *
 * Builders record an allocation failure in *err and carry on, so each one
 * checks once at the end instead of after every key.
 */
#include <errno.h>
#include <math.h>

#include "output/printers.h"

static void jset(json_t *obj, const char *key, json_t *val, int *err)
{
	if (!val || json_object_set_new(obj, key, val))
		*err = -ENOMEM;
}

static void jappend(json_t *arr, json_t *val, int *err)
{
	if (!val || json_array_append_new(arr, val))
		*err = -ENOMEM;
}

static json_t *jdone(json_t *obj, int err)
{
	if (err) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

/* A string; bytes that are not UTF-8 (a hostile server version, a raw host
 * argument) become '?' rather than failing the whole document. */
json_t *output_json_string(const char *s)
{
	char buf[512];
	size_t i;
	json_t *v = json_string(s);

	if (v)
		return v;
	for (i = 0; s[i] && i < sizeof(buf) - 1; i++)
		buf[i] = (unsigned char)s[i] < 0x80 ? s[i] : '?';
	buf[i] = '\0';
	return json_string(buf);
}

static json_t *ju64(uint64_t v)
{
	return json_integer((json_int_t)v);
}

/* A real rounded to 3 decimals, so documents do not carry 17 digits of noise. */
static json_t *jreal3(double x)
{
	if (!isfinite(x))
		x = 0;
	return json_real(round(x * 1000) / 1000);
}

/* {"bytes", "throughput_mbps"}: one side's count over secs. */
static json_t *jside(uint64_t bytes, double secs)
{
	json_t *o = json_object();
	int err = 0;

	jset(o, "bytes", ju64(bytes), &err);
	jset(o, "throughput_mbps", jreal3(output_mbps(bytes, secs)), &err);
	return jdone(o, err);
}

/* "sender" and "receiver" of a flow or a sum, each only when that side is known. */
static void jsides(json_t *obj, const struct xfr_flow *f, double secs, int *err)
{
	if (f->has_sent)
		jset(obj, "sender", jside(f->sent_bytes, secs), err);
	if (f->has_recv)
		jset(obj, "receiver", jside(f->recv_bytes, secs), err);
}

static json_t *jtcp_info(const struct xfr_tcp_stats *t)
{
	json_t *o = json_object();
	int err = 0;

	jset(o, "retransmits", ju64(t->retransmits), &err);
	jset(o, "rtt_us", ju64(t->rtt_us), &err);
	jset(o, "rtt_var_us", ju64(t->rttvar_us), &err);
	/* "cwnd" keeps the reference's name (segments); cwnd_segments says it plainly. */
	jset(o, "cwnd", ju64(t->cwnd_segments), &err);
	jset(o, "cwnd_segments", ju64(t->cwnd_segments), &err);
	jset(o, "cwnd_bytes", ju64(t->cwnd_bytes), &err);
	jset(o, "pmtu", ju64(t->pmtu), &err);
	jset(o, "delivery_rate_bps", ju64(t->delivery_rate_bps), &err);
	jset(o, "bytes_acked", ju64(t->bytes_acked), &err);
	if (t->handshake_us) { /* QUIC */
		jset(o, "quic_handshake_us", ju64(t->handshake_us), &err);
		jset(o, "min_rtt_us", ju64(t->min_rtt_us), &err);
		jset(o, "bytes_in_flight", ju64(t->bytes_in_flight), &err);
	}
	if (xfr_send_path_name(t->send_path))
		jset(o, "send_path", json_string(xfr_send_path_name(t->send_path)), &err);
	if (t->probe_send_mbps || t->probe_sendfile_mbps) {
		json_t *m = json_object();

		jset(m, "send", ju64(t->probe_send_mbps), &err);
		jset(m, "sendfile", ju64(t->probe_sendfile_mbps), &err);
		jset(o, "send_path_measured_mbps", m, &err);
	}
	return jdone(o, err);
}

/* Interval TCP keys: retransmits is the delta over the interval. */
static void jinterval_tcp(json_t *obj, const struct xfr_flow *f, int *err)
{
	if (!f->has_tcp)
		return;
	jset(obj, "retransmits", ju64(f->tcp.retransmits), err);
	jset(obj, "rtt_us", ju64(f->tcp.rtt_us), err);
	jset(obj, "cwnd", ju64(f->tcp.cwnd_segments), err);
	jset(obj, "cwnd_bytes", ju64(f->tcp.cwnd_bytes), err);
}

/*
 * The "udp" object of a flow or a sum (udp_stats at the top and per direction):
 * the reference's udp_stats keys first, in its order, then ours. Every key is
 * always there, so readers see one shape; a side's figures that are unknown are 0.
 */
static json_t *judp(const struct xfr_flow *f, uint32_t packet_size)
{
	const struct xfr_udp_stats *u = &f->udp;
	json_t *o = json_object();
	int err = 0;

	jset(o, "packets_sent", ju64(output_udp_sent(f)), &err);
	jset(o, "packets_received", ju64(u->packets_received), &err);
	jset(o, "lost", ju64(u->lost), &err);
	jset(o, "lost_percent", jreal3(output_lost_percent(u)), &err);
	jset(o, "jitter_ms", jreal3(u->jitter_ms), &err);
	jset(o, "out_of_order", ju64(u->out_of_order), &err);
	jset(o, "jitter_max_ms", jreal3(u->jitter_max_ms), &err);
	jset(o, "packet_size", ju64(packet_size), &err);
	jset(o, "duplicates", ju64(u->duplicates), &err);
	jset(o, "rcvbuf_drops", ju64(u->rcvbuf_drops), &err);
	jset(o, "send_errors", ju64(u->send_errors), &err);
	jset(o, "err_nobufs", ju64(u->err_nobufs), &err);
	jset(o, "err_refused", ju64(u->err_refused), &err);
	jset(o, "malformed", ju64(u->malformed), &err);
	return jdone(o, err);
}

/* Interval UDP keys: the reference's json-stream "jitter_ms" (current) and "lost"
 * (delta), present when the receiver's figures are known, then our "udp" object. */
static void jinterval_udp(json_t *obj, const struct xfr_result *r, const struct xfr_flow *f,
			  bool top, int *err)
{
	if (f->has_udp_rx) {
		jset(obj, "jitter_ms", jreal3(f->udp.jitter_ms), err);
		jset(obj, "lost", ju64(f->udp.lost), err);
		if (top)
			jset(obj, "lost_percent", jreal3(output_lost_percent(&f->udp)), err);
	}
	jset(obj, "udp", judp(f, r->length), err);
}

/* The protocol's own interval keys: TCP_INFO figures or UDP counts. */
static void jinterval_proto(json_t *obj, const struct xfr_result *r, const struct xfr_flow *f,
			    bool top, int *err)
{
	if (output_is_udp(r))
		jinterval_udp(obj, r, f, top, err);
	else
		jinterval_tcp(obj, f, err);
}

/* {"REASON": packets, ...}, largest first as the flow keeps them. */
static json_t *jdrops_side(const struct xfr_drops *d)
{
	json_t *o = json_object();
	int err = 0;

	for (uint32_t i = 0; i < d->n && i < XFR_MAX_DROP_REASONS; i++)
		jset(o, d->d[i].reason, ju64(d->d[i].packets), &err);
	return jdone(o, err);
}

static json_t *jbpf(const struct xfr_bpf_tcp *b)
{
	json_t *o = json_object();
	int err = 0;

	jset(o, "rtt_min_us", ju64(b->rtt_min_us), &err);
	jset(o, "rtt_avg_us", ju64(b->rtt_avg_us), &err);
	jset(o, "rtt_max_us", ju64(b->rtt_max_us), &err);
	jset(o, "rtt_samples", ju64(b->rtt_samples), &err);
	jset(o, "retransmits", ju64(b->retransmits), &err);
	jset(o, "delivered", ju64(b->delivered), &err);
	return jdone(o, err);
}

/*
 * The kernel data plane's keys of a flow, each only when known: "xdp" (what
 * the receiver's XDP program counted), "drops_by_reason" ("rx": the receiving
 * host's drops of the flow, "tx": the sending host's), "tcp"."bpf".
 */
static void jkernel(json_t *obj, const struct xfr_flow *f, int *err)
{
	json_t *o;

	if (f->has_xdp)
		jset(obj, "xdp",
		     json_pack("{s:I, s:I, s:b}", "packets", (json_int_t)f->xdp_packets, "bytes",
			       (json_int_t)f->xdp_bytes, "sink", f->xdp_sink),
		     err);
	if (f->has_drops_rx || f->has_drops_tx) {
		o = json_object();
		if (o && f->has_drops_rx)
			jset(o, "rx", jdrops_side(&f->drops_rx), err);
		if (o && f->has_drops_tx)
			jset(o, "tx", jdrops_side(&f->drops_tx), err);
		jset(obj, "drops_by_reason", o, err);
	}
	if (f->has_bpf_tcp) {
		o = json_object();
		if (o)
			jset(o, "bpf", jbpf(&f->bpf_tcp), err);
		jset(obj, "tcp", o, err);
	}
}

static const char *flow_dir_name(const struct xfr_flow *f)
{
	return f->dir == XFR_FLOW_DOWN ? "download" : "upload";
}

static json_t *jinterval_stream(const struct xfr_result *r, const struct xfr_flow *f, double secs)
{
	json_t *o = json_object();
	int err = 0;

	jset(o, "id", ju64(f->stream), &err);
	jset(o, "direction", json_string(flow_dir_name(f)), &err);
	jset(o, "bytes", ju64(result_flow_bytes(f)), &err);
	jset(o, "throughput_mbps", jreal3(output_mbps(result_flow_bytes(f), secs)), &err);
	jsides(o, f, secs, &err);
	jinterval_proto(o, r, f, false, &err);
	jkernel(o, f, &err);
	return jdone(o, err);
}

/* bidir only: the client's view, sent = upload, received = download (delivered bytes). */
static void jbidir(json_t *obj, const struct xfr_flow *flows, uint32_t n, double secs, int *err)
{
	uint64_t up = output_delivered(flows, n, RESULT_DIR_UP);
	uint64_t down = output_delivered(flows, n, RESULT_DIR_DOWN);

	jset(obj, "bytes_sent", ju64(up), err);
	jset(obj, "bytes_received", ju64(down), err);
	jset(obj, "throughput_send_mbps", jreal3(output_mbps(up, secs)), err);
	jset(obj, "throughput_recv_mbps", jreal3(output_mbps(down, secs)), err);
}

int output_json_interval_body(json_t *obj, const struct xfr_result *r,
			      const struct xfr_interval *iv)
{
	double secs = iv->end_s - iv->start_s;
	uint64_t bytes = output_delivered(iv->flows, iv->nflows, RESULT_DIR_ALL);
	json_t *streams = json_array();
	struct xfr_flow sum;
	int err = 0;

	result_sum(iv->flows, iv->nflows, RESULT_DIR_ALL, &sum);
	jset(obj, "bytes", ju64(bytes), &err);
	jset(obj, "throughput_mbps", jreal3(output_mbps(bytes, secs)), &err);
	jsides(obj, &sum, secs, &err);
	if (r->dir == XFR_DIR_BIDIR)
		jbidir(obj, iv->flows, iv->nflows, secs, &err);
	jinterval_proto(obj, r, &sum, true, &err);
	for (uint32_t i = 0; i < iv->nflows; i++)
		jappend(streams, jinterval_stream(r, &iv->flows[i], secs), &err);
	jset(obj, "streams", streams, &err);
	return err;
}

static json_t *jinterval(const struct xfr_result *r, const struct xfr_interval *iv,
			 enum xfr_ts_format ts)
{
	json_t *o = json_object();
	char buf[64];
	int err = 0;

	jset(o, "start", jreal3(iv->start_s), &err);
	jset(o, "end", jreal3(iv->end_s), &err);
	jset(o, "timestamp", output_json_string(output_timestamp(r, iv, ts, buf, sizeof(buf))),
	     &err);
	jset(o, "omitted", json_boolean(iv->omitted), &err);
	if (!err && o)
		err = output_json_interval_body(o, r, iv);
	return jdone(o, err);
}

/* Whole-test entry of one flow: the reference's keys, then the side split. */
static json_t *jstream(const struct xfr_result *r, const struct xfr_flow *f, double secs)
{
	json_t *o = json_object();
	uint64_t bytes = result_flow_bytes(f);
	bool udp = output_is_udp(r);
	int err = 0;

	jset(o, "id", ju64(f->stream), &err);
	jset(o, "bytes", ju64(bytes), &err);
	jset(o, "throughput_mbps", jreal3(output_mbps(bytes, secs)), &err);
	/* The reference always has retransmits (0 for UDP); its readers need the key. */
	jset(o, "retransmits", ju64(f->has_tcp && !udp ? f->tcp.retransmits : 0), &err);
	if (udp && f->has_udp_rx) {
		jset(o, "jitter_ms", jreal3(f->udp.jitter_ms), &err);
		jset(o, "lost", ju64(f->udp.lost), &err);
	}
	jset(o, "direction", json_string(flow_dir_name(f)), &err);
	jsides(o, f, secs, &err);
	if (udp)
		jset(o, "udp", judp(f, r->length), &err);
	else if (f->has_tcp)
		jset(o, "tcp_info", jtcp_info(&f->tcp), &err);
	jkernel(o, f, &err);
	return jdone(o, err);
}

/* ext "gso_batches": the datagrams crossed a link that kept GSO batches whole. */
static json_t *jgso(const char *iface, const struct xfr_udp_stats *u)
{
	json_t *o = json_object();
	int err = 0;

	jset(o, "iface", output_json_string(iface), &err);
	jset(o, "sends", ju64(u->gso_sends), &err);
	jset(o, "datagrams", ju64(u->gso_packets), &err);
	jset(o, "datagrams_per_send", jreal3((double)u->gso_packets / (double)u->gso_sends), &err);
	return jdone(o, err);
}

/* tcp_info or udp_stats of a sum (flows of @mask), whichever the protocol has. */
static void jproto_stats(json_t *o, const struct xfr_result *r, unsigned mask,
			 const struct xfr_flow *sum, int *err)
{
	const char *gso = output_gso_iface(r, mask, sum);

	if (output_is_udp(r))
		jset(o, "udp_stats", judp(sum, r->length), err);
	if (gso)
		jset(o, "gso_batches", jgso(gso, &sum->udp), err);
	else if (!output_is_udp(r) && sum->has_tcp)
		jset(o, "tcp_info", jtcp_info(&sum->tcp), err);
}

static json_t *jmtu_size(const struct xfr_mtu_size *z)
{
	json_t *o = json_object();
	int err = 0;

	jset(o, "payload", ju64(z->payload), &err);
	jset(o, "forward_ok", ju64(z->forward_ok), &err);
	jset(o, "reverse_ok", ju64(z->reverse_ok), &err);
	jset(o, "attempts", ju64(z->attempts), &err);
	jset(o, "forward", json_string(output_mtu_verdict_name(z->forward)), &err);
	jset(o, "reverse", json_string(output_mtu_verdict_name(z->reverse)), &err);
	return jdone(o, err);
}

/* --probe-mtu: the reference's "mtu_probe" object (xfr-reference 3.1). */
static json_t *jmtu(const struct xfr_mtu_result *m)
{
	json_t *o = json_object();
	json_t *sizes = json_array();
	uint32_t cap = sizeof(m->sizes) / sizeof(m->sizes[0]);
	uint32_t n = m->nsizes < cap ? m->nsizes : cap;
	int err = 0;

	jset(o, "forward_max_payload", ju64(m->forward_max_payload), &err);
	jset(o, "reverse_max_payload", ju64(m->reverse_max_payload), &err);
	jset(o, "forward_path_mtu", ju64(m->forward_path_mtu), &err);
	jset(o, "reverse_path_mtu", ju64(m->reverse_path_mtu), &err);
	jset(o, "ipv6", json_boolean(m->ipv6), &err);
	for (uint32_t i = 0; i < n; i++)
		jappend(sizes, jmtu_size(&m->sizes[i]), &err);
	jset(o, "sizes", sizes, &err);
	return jdone(o, err);
}

/* "upload" / "download": one direction's totals. */
static json_t *jdirection(const struct xfr_result *r, unsigned mask)
{
	uint64_t bytes = output_delivered(r->flows, r->nflows, mask);
	json_t *o = json_object();
	struct xfr_flow sum;
	int err = 0;

	result_sum(r->flows, r->nflows, mask, &sum);
	jset(o, "bytes", ju64(bytes), &err);
	jset(o, "throughput_mbps", jreal3(output_mbps(bytes, r->duration_s)), &err);
	jsides(o, &sum, r->duration_s, &err);
	jproto_stats(o, r, mask, &sum, &err);
	return jdone(o, err);
}

/* The reference's part of the document (xfr-reference §3.1). */
static void jreference(json_t *o, const struct xfr_result *r, int *err)
{
	uint64_t bytes = output_delivered(r->flows, r->nflows, RESULT_DIR_ALL);
	json_t *streams = json_array();
	struct xfr_flow sum;

	jset(o, "id", output_json_string(r->id), err);
	jset(o, "bytes_total", ju64(bytes), err);
	jset(o, "duration_ms", ju64((uint64_t)llround(r->duration_s * 1000)), err);
	jset(o, "throughput_mbps", jreal3(output_mbps(bytes, r->duration_s)), err);
	for (uint32_t i = 0; i < r->nflows; i++)
		jappend(streams, jstream(r, &r->flows[i], r->duration_s), err);
	jset(o, "streams", streams, err);
	result_sum(r->flows, r->nflows, RESULT_DIR_ALL, &sum);
	jproto_stats(o, r, RESULT_DIR_ALL, &sum, err);
	if (r->dir == XFR_DIR_BIDIR)
		jbidir(o, r->flows, r->nflows, r->duration_s, err);
	if (r->mtu)
		jset(o, "mtu_probe", jmtu(r->mtu), err);
	jsides(o, &sum, r->duration_s, err);
}

static void jsettings(json_t *o, const struct xfr_result *r, int *err)
{
	char buf[64];

	jset(o, "protocol", json_string(xfr_proto_name(r->proto)), err);
	jset(o, "direction", json_string(xfr_dir_name(r->dir)), err);
	jset(o, "engine", json_string(xfr_engine_name(r->engine)), err);
	if (r->server_engine[0])
		jset(o, "server_engine", output_json_string(r->server_engine), err);
	if (r->engine_note[0])
		jset(o, "engine_note", output_json_string(r->engine_note), err);
	if (r->server_engine_note[0])
		jset(o, "server_engine_note", output_json_string(r->server_engine_note), err);
	jset(o, "num_streams", ju64(r->streams), err);
	jset(o, "version", output_json_string(r->client_version), err);
	if (r->server_version[0])
		jset(o, "server_version", output_json_string(r->server_version), err);
	jset(o, "host", output_json_string(r->host), err);
	jset(o, "port", ju64(r->port), err);
	jset(o, "start_time",
	     output_json_string(output_iso8601(r->start_wall_us, buf, sizeof(buf))), err);
}

/* The server's report is kept as JSON when it parses, else as the text it was. */
static void jserver_output(json_t *o, const struct xfr_result *r, int *err)
{
	json_t *v;

	if (!r->server_output)
		return;
	v = json_loads(r->server_output, JSON_DECODE_ANY, NULL);
	if (!v)
		v = output_json_string(r->server_output);
	if (v)
		jset(o, "server_output", v, err);
}

int output_json_settings(json_t *o, const struct xfr_result *r)
{
	int err = 0;

	jsettings(o, r, &err);
	return err;
}

json_t *output_json_result(const struct xfr_result *r, enum xfr_ts_format ts)
{
	json_t *o = json_object();
	json_t *ivs = json_array();
	unsigned dirs = output_dirs(r->flows, r->nflows);
	int err = 0;

	jreference(o, r, &err);
	jsettings(o, r, &err);
	if (dirs & RESULT_DIR_UP)
		jset(o, "upload", jdirection(r, RESULT_DIR_UP), &err);
	if (dirs & RESULT_DIR_DOWN)
		jset(o, "download", jdirection(r, RESULT_DIR_DOWN), &err);
	for (uint32_t i = 0; i < r->nintervals; i++)
		jappend(ivs, jinterval(r, &r->intervals[i], ts), &err);
	jset(o, "intervals", ivs, &err);
	if (r->intervals_dropped) /* past what the client keeps (XFR_MAX_KEPT_BYTES) */
		jset(o, "intervals_dropped", ju64(r->intervals_dropped), &err);
	jset(o, "interrupted", json_boolean(r->interrupted), &err);
	if (r->error[0])
		jset(o, "error", output_json_string(r->error), &err);
	if (r->nnotes) { /* ext: what the user should know, in words */
		json_t *notes = json_array();

		for (uint32_t i = 0; i < r->nnotes; i++)
			jappend(notes, output_json_string(r->notes[i]), &err);
		jset(o, "notes", notes, &err);
	}
	jserver_output(o, r, &err);
	return jdone(o, err);
}

int output_json_dump(FILE *f, const json_t *j, size_t flags)
{
	int ret;

	/*
	 * 15 significant digits print the 3-decimal values exactly, no binary noise.
	 * ASCII only: a peer's string with C1 controls or bidi overrides (valid
	 * UTF-8, which JSON does not escape) reaches the terminal as \uXXXX.
	 */
	errno = 0;
	if (json_dumpf(j, f,
		       flags | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15) | JSON_ENSURE_ASCII))
		return errno > 0 ? -errno : -EIO;
	ret = output_printf(f, "\n");
	return ret ? ret : output_flush(f);
}

static int json_document(FILE *f, const struct xfr_result *r, enum xfr_ts_format ts)
{
	json_t *doc = output_json_result(r, ts);
	int ret;

	if (!doc)
		return -ENOMEM;
	ret = output_json_dump(f, doc, JSON_INDENT(2));
	json_decref(doc);
	return ret;
}

int output_json_document(FILE *f, const struct xfr_result *r)
{
	return json_document(f, r, XFR_TS_RELATIVE);
}

/* --json prints one document at the end: nothing before it. */
static int json_start(struct output *o, const struct xfr_result *r)
{
	(void)o;
	(void)r;
	return 0;
}

static int json_interval(struct output *o, const struct xfr_result *r,
			 const struct xfr_interval *iv)
{
	(void)o;
	(void)r;
	(void)iv;
	return 0;
}

static int json_end(struct output *o, const struct xfr_result *r)
{
	return json_document(o->f, r, o->opts.ts_format);
}

static int json_error(struct output *o, const char *msg)
{
	json_t *doc = json_object();
	int err = 0, ret;

	jset(doc, "error", output_json_string(msg ? msg : "unknown error"), &err);
	if (err) {
		json_decref(doc);
		return -ENOMEM;
	}
	ret = output_json_dump(o->f, doc, JSON_INDENT(2));
	json_decref(doc);
	return ret;
}

const struct output_ops output_json_ops = {
	.name = "json",
	.start = json_start,
	.interval = json_interval,
	.end = json_end,
	.error = json_error,
};

// SPDX-License-Identifier: MIT
/* Loader and reader for bpf/dropmon.bpf.c; see dropmon.h. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "dropmon.skel.h"
#include "bpf/dropmon.h"

#define DROP_PREFIX "SKB_DROP_REASON_"

struct dropmon {
	struct dropmon_bpf *skel;
	int nr_cpus;
	int nr_flows;
	__u32 link_id;
	char *names[DROPMON_MAX_REASONS];
	struct dropmon_count *percpu; /* scratch for one lookup: nr_cpus values */
};

/* A name of the enum that is not a reason: its count, or the subsystem bits of newer kernels. */
static bool not_a_reason(const char *name)
{
	return !strcmp(name, "MAX") || !strncmp(name, "SUBSYS_", strlen("SUBSYS_"));
}

/* Copy the enum's names into @names (if given); how many reasons it has, or -ENOMEM. */
static int names_copy(const struct btf *btf, const struct btf_type *t, char **names)
{
	const struct btf_enum *e = btf_enum(t);
	int i, n = 0;

	for (i = 0; i < btf_vlen(t); i++, e++) {
		const char *name = btf__name_by_offset(btf, e->name_off);

		if (!name)
			continue;
		if (!strncmp(name, DROP_PREFIX, strlen(DROP_PREFIX)))
			name += strlen(DROP_PREFIX);
		if (not_a_reason(name))
			continue;
		n++;
		if (!names || e->val < 0 || e->val >= DROPMON_MAX_REASONS)
			continue;
		free(names[e->val]);
		names[e->val] = strdup(name);
		if (!names[e->val])
			return -ENOMEM;
	}
	return n;
}

int dropmon_reason_names(char *names[DROPMON_MAX_REASONS], char *why, size_t whylen)
{
	struct btf *btf;
	int id, n;

	btf = btf__load_vmlinux_btf();
	if (!btf) {
		n = -errno;
		snprintf(why, whylen, "kernel BTF not readable: %s", strerror(-n));
		return n;
	}
	id = btf__find_by_name_kind(btf, "skb_drop_reason", BTF_KIND_ENUM);
	if (id < 0) {
		n = id;
		snprintf(why, whylen, "no enum skb_drop_reason in kernel BTF (kernel < 5.17?)");
	} else {
		n = names_copy(btf, btf__type_by_id(btf, id), names);
		if (n < 0)
			snprintf(why, whylen, "cannot copy the drop reason names: %s",
				 strerror(-n));
	}
	btf__free(btf);
	return n;
}

static int dropmon_attach(struct dropmon *dm, char *why, size_t whylen)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	struct stat ns;
	int err;

	dm->skel = dropmon_bpf__open();
	if (!dm->skel) {
		err = -errno;
		goto load_failed;
	}
	dm->skel->rodata->dm_enabled = 1;
	if (!stat("/proc/self/ns/net", &ns))
		dm->skel->rodata->dm_netns = (__u32)ns.st_ino;
	err = dropmon_bpf__load(dm->skel);
	if (err)
		goto load_failed;
	err = dropmon_bpf__attach(dm->skel);
	if (err) {
		snprintf(why, whylen, "cannot attach the kfree_skb BPF program: %s",
			 strerror(-err));
		return err;
	}
	if (bpf_obj_get_info_by_fd(bpf_link__fd(dm->skel->links.dm_kfree_skb), &info, &len)) {
		err = -errno;
		snprintf(why, whylen, "cannot read the kfree_skb link: %s", strerror(-err));
		return err;
	}
	dm->link_id = info.id;
	return 0;

load_failed:
	snprintf(why, whylen, "cannot load the kfree_skb BPF program: %s", strerror(-err));
	return err;
}

struct dropmon *dropmon_open(char *why, size_t whylen)
{
	struct dropmon *dm;
	int err;

	dm = calloc(1, sizeof(*dm));
	if (!dm) {
		snprintf(why, whylen, "cannot load the kfree_skb BPF program: out of memory");
		return NULL;
	}
	dm->nr_cpus = libbpf_num_possible_cpus();
	if (dm->nr_cpus <= 0) {
		err = dm->nr_cpus ? dm->nr_cpus : -EINVAL;
		snprintf(why, whylen, "cannot count the possible CPUs: %s", strerror(-err));
		goto close_dm;
	}
	dm->percpu = calloc(dm->nr_cpus, sizeof(*dm->percpu));
	if (!dm->percpu) {
		err = -ENOMEM;
		snprintf(why, whylen, "cannot load the kfree_skb BPF program: out of memory");
		goto close_dm;
	}
	err = dropmon_reason_names(dm->names, why, whylen);
	if (err >= 0)
		err = dropmon_attach(dm, why, whylen);
	if (err)
		goto close_dm;
	return dm;

close_dm:
	dropmon_close(dm);
	errno = -err;
	return NULL;
}

void dropmon_close(struct dropmon *dm)
{
	int i;

	if (!dm)
		return;
	dropmon_bpf__destroy(dm->skel);
	for (i = 0; i < DROPMON_MAX_REASONS; i++)
		free(dm->names[i]);
	free(dm->percpu);
	free(dm);
}

int dropmon_key_init(struct dropmon_key *key, int proto, const struct sockaddr *src,
		     const struct sockaddr *dst)
{
	memset(key, 0, sizeof(*key));
	if (src->sa_family != dst->sa_family || (proto != IPPROTO_UDP && proto != IPPROTO_TCP))
		return -EINVAL;
	key->family = src->sa_family;
	key->proto = proto;
	if (src->sa_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)src, *d = (const void *)dst;

		key->saddr[0] = s->sin_addr.s_addr;
		key->daddr[0] = d->sin_addr.s_addr;
		key->sport = ntohs(s->sin_port);
		key->dport = ntohs(d->sin_port);
		return 0;
	}
	if (src->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)src, *d = (const void *)dst;

		memcpy(key->saddr, &s->sin6_addr, 16);
		memcpy(key->daddr, &d->sin6_addr, 16);
		key->sport = ntohs(s->sin6_port);
		key->dport = ntohs(d->sin6_port);
		return 0;
	}
	return -EAFNOSUPPORT;
}

int dropmon_add_flow(struct dropmon *dm, const struct dropmon_key *key)
{
	__u32 slot = dm->nr_flows;
	int err;

	if (dm->nr_flows >= DROPMON_MAX_FLOWS)
		return -ENOSPC;
	err = bpf_map_update_elem(bpf_map__fd(dm->skel->maps.dm_flows), key, &slot, BPF_NOEXIST);
	if (err)
		return -errno;
	dm->nr_flows++;
	return slot;
}

int dropmon_read(struct dropmon *dm, int slot, struct dropmon_count out[DROPMON_MAX_REASONS])
{
	int fd = bpf_map__fd(dm->skel->maps.dm_counts);
	__u32 r, idx;
	int c;

	if (slot < 0 || slot >= dm->nr_flows)
		return -EINVAL;
	for (r = 0; r < DROPMON_MAX_REASONS; r++) {
		idx = slot * DROPMON_MAX_REASONS + r;
		if (bpf_map_lookup_elem(fd, &idx, dm->percpu))
			return -errno;
		out[r].packets = 0;
		out[r].bytes = 0;
		for (c = 0; c < dm->nr_cpus; c++) {
			out[r].packets += dm->percpu[c].packets;
			out[r].bytes += dm->percpu[c].bytes;
		}
	}
	return 0;
}

const char *dropmon_reason_name(const struct dropmon *dm, unsigned int reason)
{
	if (reason == DROPMON_REASON_OTHER && !dm->names[reason])
		return "OTHER";
	return reason < DROPMON_MAX_REASONS ? dm->names[reason] : NULL;
}

int dropmon_reason_find(const struct dropmon *dm, const char *name)
{
	int r;

	for (r = 0; r < DROPMON_MAX_REASONS; r++)
		if (dm->names[r] && !strcmp(dm->names[r], name))
			return r;
	return -ENOENT;
}

__u32 dropmon_link_id(const struct dropmon *dm)
{
	return dm->link_id;
}

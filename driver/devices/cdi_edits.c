/* Container edits: deep copies for merging, completion from the host's
 * device nodes, and freeing. */
#define _GNU_SOURCE
#include "cdi.h"

#include "../util/xalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void strv_append_copy(struct strv *dst, const struct strv *src)
{
	for (size_t i = 0; i < src->n; i++)
		strv_add(dst, xstrdup(src->v[i]));
}

/* Grow *array (of *n items of size bytes) by more items. */
static void *grow(void *array, size_t n, size_t more, size_t size)
{
	if (more == 0)
		return array;
	void *p = realloc(array, (n + more) * size);
	if (!p)
		abort();
	return p;
}

static void append_nodes(struct cdi_edits *dst, const struct cdi_edits *src)
{
	dst->nodes = grow(dst->nodes, dst->n_nodes, src->n_nodes, sizeof *dst->nodes);
	for (size_t i = 0; i < src->n_nodes; i++) {
		struct cdi_device_node n = src->nodes[i];
		n.path = xstrdup(n.path);
		n.host_path = xstrdup(n.host_path);
		n.permissions = dup_or_null(n.permissions);
		dst->nodes[dst->n_nodes++] = n;
	}
}

static void append_mounts(struct cdi_edits *dst, const struct cdi_edits *src)
{
	dst->mounts = grow(dst->mounts, dst->n_mounts, src->n_mounts, sizeof *dst->mounts);
	for (size_t i = 0; i < src->n_mounts; i++) {
		const struct cdi_mount *m = &src->mounts[i];
		struct cdi_mount copy = { .host_path = xstrdup(m->host_path),
					  .container_path = xstrdup(m->container_path),
					  .type = dup_or_null(m->type) };
		strv_append_copy(&copy.options, &m->options);
		dst->mounts[dst->n_mounts++] = copy;
	}
}

static void append_hooks(struct cdi_edits *dst, const struct cdi_edits *src)
{
	dst->hooks = grow(dst->hooks, dst->n_hooks, src->n_hooks, sizeof *dst->hooks);
	for (size_t i = 0; i < src->n_hooks; i++) {
		const struct cdi_hook *h = &src->hooks[i];
		struct cdi_hook copy = { .hook_name = xstrdup(h->hook_name),
					 .path = xstrdup(h->path),
					 .has_timeout = h->has_timeout,
					 .timeout = h->timeout };
		strv_append_copy(&copy.args, &h->args);
		strv_append_copy(&copy.env, &h->env);
		dst->hooks[dst->n_hooks++] = copy;
	}
}

static void append_net_devices(struct cdi_edits *dst, const struct cdi_edits *src)
{
	dst->net_devices = grow(dst->net_devices, dst->n_net_devices, src->n_net_devices, sizeof *dst->net_devices);
	for (size_t i = 0; i < src->n_net_devices; i++)
		dst->net_devices[dst->n_net_devices++] =
			(struct cdi_net_device){ .host_interface_name =
							 xstrdup(src->net_devices[i].host_interface_name),
						 .name = xstrdup(src->net_devices[i].name) };
}

static void intel_rdt_free(struct cdi_intel_rdt *r)
{
	if (!r)
		return;
	free(r->clos_id);
	free(r->l3_cache_schema);
	free(r->mem_bw_schema);
	strv_free(r->schemata.v);
	free(r);
}

static struct cdi_intel_rdt *intel_rdt_copy(const struct cdi_intel_rdt *r)
{
	struct cdi_intel_rdt *c = xcalloc(1, sizeof *c);
	c->clos_id = dup_or_null(r->clos_id);
	c->l3_cache_schema = dup_or_null(r->l3_cache_schema);
	c->mem_bw_schema = dup_or_null(r->mem_bw_schema);
	strv_append_copy(&c->schemata, &r->schemata);
	c->enable_monitoring = r->enable_monitoring;
	return c;
}

void cdi_edits_append(struct cdi_edits *dst, const struct cdi_edits *src)
{
	strv_append_copy(&dst->env, &src->env);
	append_nodes(dst, src);
	append_mounts(dst, src);
	append_hooks(dst, src);
	append_net_devices(dst, src);
	dst->gids = grow(dst->gids, dst->n_gids, src->n_gids, sizeof *dst->gids);
	for (size_t i = 0; i < src->n_gids; i++)
		dst->gids[dst->n_gids++] = src->gids[i];
	if (src->intel_rdt) {
		intel_rdt_free(dst->intel_rdt);
		dst->intel_rdt = intel_rdt_copy(src->intel_rdt);
	}
}

void cdi_edits_free(struct cdi_edits *e)
{
	strv_free(e->env.v);
	for (size_t i = 0; i < e->n_nodes; i++) {
		free(e->nodes[i].path);
		free(e->nodes[i].host_path);
		free(e->nodes[i].permissions);
	}
	free(e->nodes);
	for (size_t i = 0; i < e->n_mounts; i++) {
		free(e->mounts[i].host_path);
		free(e->mounts[i].container_path);
		free(e->mounts[i].type);
		strv_free(e->mounts[i].options.v);
	}
	free(e->mounts);
	for (size_t i = 0; i < e->n_hooks; i++) {
		free(e->hooks[i].hook_name);
		free(e->hooks[i].path);
		strv_free(e->hooks[i].args.v);
		strv_free(e->hooks[i].env.v);
	}
	free(e->hooks);
	for (size_t i = 0; i < e->n_net_devices; i++) {
		free(e->net_devices[i].host_interface_name);
		free(e->net_devices[i].name);
	}
	free(e->net_devices);
	free(e->gids);
	intel_rdt_free(e->intel_rdt);
	memset(e, 0, sizeof *e);
}

static char node_type_of(mode_t mode)
{
	if (S_ISCHR(mode))
		return 'c';
	if (S_ISBLK(mode))
		return 'b';
	if (S_ISFIFO(mode))
		return 'p';
	return 0;
}

/* As the reference implementation's fillMissingInfo: a node that names
 * its type and major (or is a fifo) is complete; otherwise the host's node
 * says, and must agree with what the spec did say. 'u' (unbuffered char)
 * is a char device on the host. */
static int fill_node(struct cdi_device_node *n, struct error *err)
{
	if (n->type && (n->major != 0 || n->type == 'p'))
		return 0;
	struct stat st;
	if (stat(n->host_path, &st) < 0)
		return error_set(err, errno, "cdi device node '%s'", n->host_path);
	char host_type = node_type_of(st.st_mode);
	if (!host_type)
		return error_set(err, 0, "cdi device node '%s' is not a device node", n->host_path);
	if (!n->type)
		n->type = host_type;
	else if (n->type != host_type && !(n->type == 'u' && host_type == 'c'))
		return error_set(err, 0, "cdi device node '%s' is of type '%c' on the host, not '%c' as the spec says",
				 n->host_path, host_type, n->type);
	if (!n->has_file_mode) {
		n->has_file_mode = true;
		n->file_mode = (uint32_t)(st.st_mode & 07777);
	}
	if (n->type != 'p' && n->major == 0 && n->minor == 0) {
		n->major = major(st.st_rdev);
		n->minor = minor(st.st_rdev);
	}
	return 0;
}

int cdi_edits_fill_from_host(struct cdi_edits *edits, struct error *err)
{
	for (size_t i = 0; i < edits->n_nodes; i++)
		if (fill_node(&edits->nodes[i], err) < 0)
			return -1;
	return 0;
}

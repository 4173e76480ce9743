#define _GNU_SOURCE
#include "environment.h"
#include "mpi.h"

#include "../../common/log.h"
#include "../util/fsutil.h"
#include "../util/strv.h"
#include "../util/xalloc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

extern char **environ;

static const char *const host_passed[] = {
	"TERM",       "http_proxy",  "https_proxy", "ftp_proxy", "no_proxy",  "all_proxy",
	"HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY",   "NO_PROXY",  "ALL_PROXY",
};
static const char *const host_prefixes[] = { "SINGULARITYENV_", "APPTAINERENV_", "OCHREENV_" };

struct env {
	struct strv vars;
	char *append_path, *prepend_path;
};

static bool valid_name(const char *name, size_t len)
{
	if (len == 0 || !(isalpha((unsigned char)name[0]) || name[0] == '_'))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!(isalnum((unsigned char)name[i]) || name[i] == '_'))
			return false;
	return true;
}

static const char *env_get(const struct env *e, const char *name)
{
	size_t len = strlen(name);
	for (size_t i = 0; i < e->vars.n; i++)
		if (strncmp(e->vars.v[i], name, len) == 0 && e->vars.v[i][len] == '=')
			return e->vars.v[i] + len + 1;
	return NULL;
}

/* Set NAME (len bytes of name) to value, replacing an earlier setting. */
static void env_set(struct env *e, const char *name, size_t len, const char *value, const char *source)
{
	if (!valid_name(name, len)) {
		log_warn("%s: ignoring '%.*s': not a valid variable name", source, (int)len, name);
		return;
	}
	if (len == 11 && strncmp(name, "APPEND_PATH", len) == 0) {
		free(e->append_path);
		e->append_path = xstrdup(value);
		return;
	}
	if (len == 12 && strncmp(name, "PREPEND_PATH", len) == 0) {
		free(e->prepend_path);
		e->prepend_path = xstrdup(value);
		return;
	}
	char *item = xasprintf("%.*s=%s", (int)len, name, value);
	for (size_t i = 0; i < e->vars.n; i++)
		if (strncmp(e->vars.v[i], name, len) == 0 && e->vars.v[i][len] == '=') {
			free(e->vars.v[i]);
			e->vars.v[i] = item;
			return;
		}
	strv_add(&e->vars, item);
}

/* --no-compat: the host's environment, but not what would break the image
 * (its PATH and libraries), nor what this launch sets itself (HOME) or
 * passes on by prefix. The image's Env, applied next, overrides the rest. */
static void pass_host_environment(struct env *e)
{
	static const char *const kept_out[] = { "PATH", "HOME",   "LD_LIBRARY_PATH", "LD_PRELOAD",
						"PWD",  "OLDPWD", "SHLVL",           "_" };
	for (char **h = environ; *h; h++) {
		size_t len = strcspn(*h, "=");
		bool skip = (*h)[len] != '=';
		for (size_t i = 0; !skip && i < sizeof kept_out / sizeof kept_out[0]; i++)
			skip = strlen(kept_out[i]) == len && strncmp(*h, kept_out[i], len) == 0;
		for (size_t i = 0; !skip && i < sizeof host_prefixes / sizeof host_prefixes[0]; i++)
			skip = strncmp(*h, host_prefixes[i], strlen(host_prefixes[i])) == 0;
		/* Quietly: a host variable with an odd name is not the user's doing. */
		if (!skip && valid_name(*h, len))
			env_set(e, *h, len, *h + len + 1, "host");
	}
}

/* "NAME=value" as one string. */
static void env_set_pair(struct env *e, const char *pair, const char *source)
{
	const char *eq = strchr(pair, '=');
	if (!eq) {
		log_warn("%s: ignoring '%s': expected NAME=value", source, pair);
		return;
	}
	env_set(e, pair, (size_t)(eq - pair), eq + 1, source);
}

struct buf {
	char *s;
	size_t len, cap;
};

static void put(struct buf *b, const char *piece, size_t n)
{
	size_t need = xsize_add(xsize_add(b->len, n), 1);
	if (need > b->cap) {
		b->cap = xsize_mul(need, 2);
		b->s = xrealloc(b->s, b->cap);
	}
	memcpy(b->s + b->len, piece, n);
	b->len += n;
	b->s[b->len] = '\0';
}

/* --env-file values: quotes removed ('...' literal, "..." expanding),
 * backslash escapes, $X and ${X} expanded from what is set so far (unset
 * expands to nothing). No command substitution, no globbing. */
static char *evaluate(const struct env *e, const char *value)
{
	struct buf b = { 0 };
	put(&b, "", 0);
	enum { NONE, SINGLE, DOUBLE } quote = NONE;
	for (const char *p = value; *p; p++) {
		if (quote == SINGLE) {
			if (*p == '\'')
				quote = NONE;
			else
				put(&b, p, 1);
			continue;
		}
		if (*p == '\'' && quote == NONE) {
			quote = SINGLE;
		} else if (*p == '"') {
			quote = quote == DOUBLE ? NONE : DOUBLE;
		} else if (*p == '\\' && p[1]) {
			put(&b, ++p, 1);
		} else if (*p == '$') {
			bool braced = p[1] == '{';
			const char *name = p + 1 + braced;
			size_t n = 0;
			while (isalnum((unsigned char)name[n]) || name[n] == '_')
				n++;
			if (n == 0 || isdigit((unsigned char)name[0]) || (braced && name[n] != '}')) {
				put(&b, p, 1);
				continue;
			}
			char *key = xasprintf("%.*s", (int)n, name);
			const char *v = env_get(e, key);
			free(key);
			if (v)
				put(&b, v, strlen(v));
			p = name + n - 1 + braced;
		} else {
			put(&b, p, 1);
		}
	}
	return b.s;
}

static int read_env_file(struct env *e, const char *path, bool no_eval, struct error *err)
{
	char *text;
	if (read_file(path, 1 << 20, &text, NULL, err) < 0)
		return error_set(err, 0, "--env-file %s: cannot read it", path);
	int lineno = 0;
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		while (isspace((unsigned char)*line))
			line++;
		if (*line == '#' || *line == '\0')
			continue;
		if (strncmp(line, "export ", 7) == 0)
			line += 7;
		char *eq = strchr(line, '=');
		if (!eq) {
			log_warn("--env-file %s line %d: ignoring '%s': expected NAME=value", path, lineno, line);
			continue;
		}
		char *value = no_eval ? xstrdup(eq + 1) : evaluate(e, eq + 1);
		char source[64];
		snprintf(source, sizeof source, "--env-file line %d", lineno);
		env_set(e, line, (size_t)(eq - line), value, source);
		free(value);
	}
	free(text);
	return 0;
}

/* Each --env-file value is a comma list; later files override earlier. */
static int read_env_files(struct env *e, const struct env_options *o, struct error *err)
{
	int ret = 0;
	for (size_t i = 0; i < o->n_env_files && ret == 0; i++) {
		char *copy = xstrdup(o->env_files[i]);
		for (char *save = NULL, *f = strtok_r(copy, ",", &save); f && ret == 0; f = strtok_r(NULL, ",", &save))
			ret = read_env_file(e, f, o->no_eval, err);
		free(copy);
	}
	return ret;
}

/* What SingularityCE and Apptainer set for scripts that ask whether, and
 * in what, they run: the image's absolute path for a file or directory,
 * else the reference as given; the NAME is its last component. */
static void set_container_names(struct env *e, const char *image)
{
	char *abs = strstr(image, "://") ? NULL : realpath(image, NULL);
	const char *where = abs ? abs : image;
	const char *slash = strrchr(where, '/');
	const char *name = slash && slash[1] ? slash + 1 : where;
	static const char *const vars[][2] = {
		{ "SINGULARITY_CONTAINER", "SINGULARITY_NAME" },
		{ "APPTAINER_CONTAINER", "APPTAINER_NAME" },
	};
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
		env_set(e, vars[i][0], strlen(vars[i][0]), where, "container");
		env_set(e, vars[i][1], strlen(vars[i][1]), name, "container");
	}
	free(abs);
}

/* "K=V,K2=V2": a piece without '=' continues the previous value. */
static void apply_env_arg(struct env *e, const char *arg)
{
	char *copy = xstrdup(arg), *pending = NULL;
	for (char *save = NULL, *piece = strtok_r(copy, ",", &save); piece; piece = strtok_r(NULL, ",", &save)) {
		if (!strchr(piece, '=') && pending) {
			char *joined = xasprintf("%s,%s", pending, piece);
			free(pending);
			pending = joined;
			continue;
		}
		if (pending)
			env_set_pair(e, pending, "--env");
		free(pending);
		pending = xstrdup(piece);
	}
	if (pending)
		env_set_pair(e, pending, "--env");
	free(pending);
	free(copy);
}

int environment_build(json_object *image_env, const struct env_options *o, const char *home, char ***out,
		      struct error *err)
{
	struct env e = { 0 };
	if (!o->cleanenv && o->host_env)
		pass_host_environment(&e);
	else if (!o->cleanenv)
		for (size_t i = 0; i < sizeof host_passed / sizeof host_passed[0]; i++) {
			const char *v = getenv(host_passed[i]);
			if (v)
				env_set(&e, host_passed[i], strlen(host_passed[i]), v, "host");
		}
	for (size_t i = 0;
	     image_env && json_object_is_type(image_env, json_type_array) && i < json_object_array_length(image_env);
	     i++) {
		const char *pair = json_object_get_string(json_object_array_get_idx(image_env, i));
		if (pair)
			env_set_pair(&e, pair, "image Env");
	}
	/* The launch's wire-up, over the image's settings (a stale PMIX_ or
	 * SLURM_ value baked into an image would split the job). */
	for (char **h = o->mpi ? environ : NULL; h && *h; h++)
		if (mpi_variable(*h))
			env_set_pair(&e, *h, "MPI launch");
	if (o->mpi && !env_get(&e, "OMPI_MCA_btl"))
		env_set(&e, "OMPI_MCA_btl", 12, mpi_default_btl(), "MPI launch");
	if (o->image)
		set_container_names(&e, o->image);
	/* The container's home, whatever the image's Env says; the user's own
	 * settings below may still change it. */
	env_set(&e, "HOME", 4, home, "HOME");
	for (size_t k = 0; k < sizeof host_prefixes / sizeof host_prefixes[0]; k++) {
		size_t plen = strlen(host_prefixes[k]);
		for (char **h = environ; *h; h++)
			if (strncmp(*h, host_prefixes[k], plen) == 0)
				env_set_pair(&e, *h + plen, host_prefixes[k]);
	}
	if (read_env_files(&e, o, err) < 0) {
		strv_free(e.vars.v);
		free(e.append_path);
		free(e.prepend_path);
		return -1;
	}
	for (size_t i = 0; i < o->n_env_args; i++)
		apply_env_arg(&e, o->env_args[i]);

	const char *path = env_get(&e, "PATH");
	char *final_path =
		xasprintf("%s%s%s%s%s", e.prepend_path ? e.prepend_path : "", e.prepend_path ? ":" : "",
			  path ? path : DEFAULT_PATH, e.append_path ? ":" : "", e.append_path ? e.append_path : "");
	env_set(&e, "PATH", 4, final_path, "PATH");
	free(final_path);
	free(e.append_path);
	free(e.prepend_path);
	*out = e.vars.v;
	return 0;
}

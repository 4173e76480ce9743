/* The container's environment (driver/environment.c): SingularityCE's rules
 * of precedence (host, image Env, HOME, SINGULARITYENV_/APPTAINERENV_/
 * OCHREENV_, --env-file, --env), APPEND_PATH and PREPEND_PATH, --cleanenv
 * and --no-compat. Each case starts from an empty host environment and sets
 * what it needs. */
#define _GNU_SOURCE
#include "../../driver/container/environment.h"
#include "../../driver/util/strv.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define HOME "/home/me"

extern char **environ;

static char **vars;

/* An empty host environment. Not clearenv() alone: it leaves environ NULL,
 * which no exec'd program sees (its environ is at least an empty array). */
static void empty_host_environment(void)
{
	static char *none[] = { NULL };
	clearenv();
	environ = none;
}

/* Build with the image Env given as a JSON array (or NULL for none). */
static int build(const char *image_env_json, const struct env_options *o)
{
	struct error err;
	json_object *image_env = image_env_json ? json_tokener_parse(image_env_json) : NULL;
	strv_free(vars);
	vars = NULL;
	int ret = environment_build(image_env, o, HOME, &vars, &err);
	if (ret < 0)
		printf("#   %s\n", err.msg);
	json_object_put(image_env);
	return ret;
}

static const char *get(const char *name)
{
	size_t len = strlen(name);
	for (char **v = vars; v && *v; v++)
		if (strncmp(*v, name, len) == 0 && (*v)[len] == '=')
			return *v + len + 1;
	return NULL;
}

/* How many entries set NAME (each name must appear at most once). */
static int count(const char *name)
{
	size_t len = strlen(name);
	int n = 0;
	for (char **v = vars; v && *v; v++)
		n += strncmp(*v, name, len) == 0 && (*v)[len] == '=';
	return n;
}

static size_t length(void)
{
	size_t n = 0;
	while (vars && vars[n])
		n++;
	return n;
}

/* An --env-file with this content; returns its path (static buffer). */
static const char *env_file(const char *content)
{
	static char path[] = "/tmp/ochre-test-envfile.XXXXXX";
	strcpy(path + strlen(path) - 6, "XXXXXX");
	int fd = mkstemp(path);
	if (fd < 0 || write(fd, content, strlen(content)) != (ssize_t)strlen(content)) {
		perror("env file");
		exit(2);
	}
	close(fd);
	return path;
}

static void test_defaults(void)
{
	empty_host_environment();
	setenv("TERM", "xterm", 1);
	setenv("http_proxy", "http://proxy:3128", 1);
	setenv("NO_PROXY", "localhost", 1);
	setenv("FOO", "bar", 1);
	setenv("PATH", "/host/bin", 1);
	setenv("LD_PRELOAD", "/evil.so", 1);
	struct env_options o = { 0 };
	CHECK(build(NULL, &o) == 0, "defaults: builds");
	CHECK_STR(get("TERM"), "xterm", "defaults: TERM from the host");
	CHECK_STR(get("http_proxy"), "http://proxy:3128", "defaults: http_proxy from the host");
	CHECK_STR(get("NO_PROXY"), "localhost", "defaults: NO_PROXY from the host");
	CHECK(get("FOO") == NULL, "defaults: other host variables stay out");
	CHECK(get("LD_PRELOAD") == NULL, "defaults: the host's LD_PRELOAD stays out");
	CHECK_STR(get("PATH"), DEFAULT_PATH, "defaults: PATH is the default, not the host's");
	CHECK_STR(get("HOME"), HOME, "defaults: HOME is the container's home");
	CHECK(length() == 5, "defaults: TERM, http_proxy, NO_PROXY, HOME, PATH and nothing else");
	CHECK(vars && vars[length()] == NULL, "defaults: NULL-terminated");
}

static void test_cleanenv(void)
{
	empty_host_environment();
	setenv("TERM", "xterm", 1);
	setenv("https_proxy", "http://proxy", 1);
	setenv("OCHREENV_KEPT", "yes", 1);
	struct env_options o = { .cleanenv = true };
	CHECK(build("[\"IMG=1\"]", &o) == 0, "cleanenv: builds");
	CHECK(get("TERM") == NULL, "cleanenv: no TERM from the host");
	CHECK(get("https_proxy") == NULL, "cleanenv: no proxy from the host");
	CHECK_STR(get("IMG"), "1", "cleanenv: the image's Env still applies");
	CHECK_STR(get("KEPT"), "yes", "cleanenv: OCHREENV_ still applies (as in SingularityCE)");
	CHECK_STR(get("HOME"), HOME, "cleanenv: HOME");
	CHECK_STR(get("PATH"), DEFAULT_PATH, "cleanenv: default PATH");
	/* --cleanenv wins over --no-compat. */
	setenv("FOO", "bar", 1);
	o.host_env = true;
	CHECK(build(NULL, &o) == 0 && get("FOO") == NULL && get("TERM") == NULL,
	      "cleanenv with no-compat: still nothing from the host");
}

/* In a Slurm step or MPI launch (o.mpi, decided by driver/container/mpi.c):
 * the launch's variables pass, over the image's, under the user's. */
static void test_mpi_launch(void)
{
	empty_host_environment();
	setenv("PMIX_RANK", "3", 1);
	setenv("PMIX_SERVER_URI4", "pmix-server.1;tcp4://127.0.0.1:4", 1);
	setenv("SLURM_STEP_ID", "0", 1);
	setenv("OMPI_MCA_btl", "vader,self", 1);
	setenv("PMI_FD", "5", 1);
	setenv("SLURMD_NODENAME", "n1", 1);
	setenv("FOO", "bar", 1);
	setenv("OCHREENV_OMPI_MCA_btl", "tcp,self", 1);
	struct env_options o = { 0 };
	CHECK(build(NULL, &o) == 0 && get("PMIX_RANK") == NULL && get("SLURM_STEP_ID") == NULL,
	      "mpi: nothing of the launch passes when not asked");
	o.mpi = true;
	CHECK(build("[\"SLURM_STEP_ID=99\",\"IMG=1\"]", &o) == 0, "mpi: builds");
	CHECK_STR(get("PMIX_RANK"), "3", "mpi: PMIX_ variables pass");
	CHECK_STR(get("PMIX_SERVER_URI4"), "pmix-server.1;tcp4://127.0.0.1:4", "mpi: the server's URI passes");
	CHECK_STR(get("SLURM_STEP_ID"), "0", "mpi: the launch's SLURM_ wins over the image's Env");
	CHECK_STR(get("PMI_FD"), "5", "mpi: PMI_ variables pass");
	CHECK_STR(get("OMPI_MCA_btl"), "tcp,self", "mpi: the user's OCHREENV_ wins over the launch");
	CHECK(get("FOO") == NULL && get("SLURMD_NODENAME") == NULL, "mpi: other host variables stay out");
	CHECK_STR(get("IMG"), "1", "mpi: the image's Env applies");
	unsetenv("OMPI_MCA_btl");
	unsetenv("OCHREENV_OMPI_MCA_btl");
	CHECK(build(NULL, &o) == 0, "mpi: builds without OMPI_MCA_btl");
	CHECK_STR(get("OMPI_MCA_btl"), "^vader,sm", "mpi: no shared-memory transport by default");
	CHECK(build("[\"OMPI_MCA_btl=self,tcp,openib\"]", &o) == 0, "mpi: builds");
	CHECK_STR(get("OMPI_MCA_btl"), "self,tcp,openib", "mpi: the image's OMPI_MCA_btl is kept");
	o.cleanenv = true;
	CHECK(build(NULL, &o) == 0 && get("PMIX_RANK") && get("TERM") == NULL,
	      "mpi: the launch's variables pass with --cleanenv too");
}

static void test_host_env(void)
{
	empty_host_environment();
	setenv("FOO", "bar", 1);
	setenv("TERM", "vt100", 1);
	setenv("PATH", "/host/bin", 1);
	setenv("HOME", "/host/home", 1);
	setenv("LD_LIBRARY_PATH", "/host/lib", 1);
	setenv("LD_PRELOAD", "/evil.so", 1);
	setenv("PWD", "/somewhere", 1);
	setenv("SINGULARITYENV_VIA", "prefix", 1);
	setenv("BAD-NAME", "x", 1);
	struct env_options o = { .host_env = true };
	CHECK(build("[\"FOO=image\"]", &o) == 0, "no-compat: builds");
	CHECK_STR(get("FOO"), "image", "no-compat: the image's Env overrides the host");
	CHECK_STR(get("TERM"), "vt100", "no-compat: host variables pass");
	CHECK_STR(get("PATH"), DEFAULT_PATH, "no-compat: not the host's PATH");
	CHECK_STR(get("HOME"), HOME, "no-compat: not the host's HOME");
	CHECK(get("LD_LIBRARY_PATH") == NULL, "no-compat: not the host's LD_LIBRARY_PATH");
	CHECK(get("LD_PRELOAD") == NULL, "no-compat: not the host's LD_PRELOAD");
	CHECK(get("PWD") == NULL, "no-compat: not the host's PWD");
	CHECK(get("SINGULARITYENV_VIA") == NULL, "no-compat: prefixed variables do not pass as they are");
	CHECK_STR(get("VIA"), "prefix", "no-compat: prefixed variables apply by their rule");
	CHECK(get("BAD-NAME") == NULL, "no-compat: a host name that is no identifier is dropped");
}

static void test_image_env(void)
{
	empty_host_environment();
	setenv("TERM", "xterm", 1);
	struct env_options o = { 0 };
	CHECK(build("[\"TERM=dumb\", \"PATH=/opt/app/bin:/usr/bin\", \"HOME=/image/home\", \"A=1=2\", "
		    "\"EMPTY=\", \"1BAD=x\", \"BAD-NAME=x\", \"NOEQUALS\", \"A=last\"]",
		    &o) == 0,
	      "image Env: builds");
	CHECK_STR(get("TERM"), "dumb", "image Env: overrides the host's TERM");
	CHECK_STR(get("PATH"), "/opt/app/bin:/usr/bin", "image Env: its PATH is kept");
	CHECK_STR(get("HOME"), HOME, "image Env: HOME is the container's home, whatever the image says");
	CHECK_STR(get("A"), "last", "image Env: a later entry replaces an earlier one");
	CHECK(count("A") == 1, "image Env: each name once");
	CHECK_STR(get("EMPTY"), "", "image Env: an empty value is kept");
	CHECK(get("1BAD") == NULL, "image Env: a name starting with a digit is dropped");
	CHECK(get("BAD-NAME") == NULL && get("BAD") == NULL, "image Env: a name with '-' is dropped");
	CHECK(get("NOEQUALS") == NULL, "image Env: an entry without '=' is dropped");
	CHECK(length() == 5, "image Env: TERM, PATH, HOME, A, EMPTY");
	CHECK(build("{\"PATH\": \"/x\"}", &o) == 0 && strcmp(get("PATH"), DEFAULT_PATH) == 0,
	      "image Env: not an array, ignored");
	CHECK(build("[\"A=1=2\"]", &o) == 0 && strcmp(get("A"), "1=2") == 0,
	      "image Env: the value runs to the end, '=' included");
}

static void test_prefixes(void)
{
	empty_host_environment();
	setenv("SINGULARITYENV_ALL", "singularity", 1);
	setenv("APPTAINERENV_ALL", "apptainer", 1);
	setenv("OCHREENV_ALL", "ochre", 1);
	setenv("SINGULARITYENV_TWO", "singularity", 1);
	setenv("APPTAINERENV_TWO", "apptainer", 1);
	setenv("SINGULARITYENV_ONE", "singularity", 1);
	setenv("OCHREENV_IMG", "host", 1);
	setenv("OCHREENV_HOME", "/elsewhere", 1);
	setenv("OCHREENV_PATH", "/p/bin", 1);
	setenv("OCHREENV_1BAD", "x", 1);
	setenv("OCHREENV_", "x", 1);
	struct env_options o = { 0 };
	CHECK(build("[\"IMG=image\"]", &o) == 0, "prefixes: builds");
	CHECK_STR(get("ALL"), "ochre", "prefixes: OCHREENV_ wins over APPTAINERENV_ and SINGULARITYENV_");
	CHECK_STR(get("TWO"), "apptainer", "prefixes: APPTAINERENV_ wins over SINGULARITYENV_");
	CHECK_STR(get("ONE"), "singularity", "prefixes: SINGULARITYENV_ alone");
	CHECK_STR(get("IMG"), "host", "prefixes: override the image's Env");
	CHECK_STR(get("HOME"), "/elsewhere", "prefixes: may set HOME");
	CHECK_STR(get("PATH"), "/p/bin", "prefixes: may set PATH");
	CHECK(get("1BAD") == NULL, "prefixes: an invalid name is dropped");
	CHECK(count("ALL") == 1 && count("TWO") == 1, "prefixes: each name once");
	CHECK(get("OCHREENV_ALL") == NULL, "prefixes: the prefixed variable itself does not pass");
}

static void test_env_file(void)
{
	empty_host_environment();
	setenv("OCHREENV_FROM_PREFIX", "prefix", 1);
	setenv("OCHREENV_OVER", "prefix", 1);
	setenv("HOSTONLY", "host", 1);
	const char *path = env_file("# a comment\n"
				    "\n"
				    "   # an indented comment\n"
				    "OVER=file\n"
				    "export EXPORTED=yes\n"
				    "PLAIN=a b\n"
				    "REF=$FROM_PREFIX/x\n"
				    "BRACED=${FROM_PREFIX}y\n"
				    "UNSET=[$NOPE]\n"
				    "HOSTREF=[$HOSTONLY]\n"
				    "SQ='$FROM_PREFIX \"q\"'\n"
				    "DQ=\"$FROM_PREFIX 'q'\"\n"
				    "ESC=\\$FROM_PREFIX\\\\\n"
				    "DIGIT=$1x\n"
				    "OPEN=${FROM_PREFIX\n"
				    "DOLLAR=a$\n"
				    "SELF=$PLAIN+\n"
				    "NOEQUALS\n"
				    "1BAD=x\n"
				    "   INDENTED=ok\n");
	char *files[] = { (char *)path };
	struct env_options o = { .env_files = files, .n_env_files = 1 };
	CHECK(build(NULL, &o) == 0, "env-file: builds");
	CHECK_STR(get("OVER"), "file", "env-file: overrides the prefixed variables");
	CHECK_STR(get("EXPORTED"), "yes", "env-file: 'export NAME=' is accepted");
	CHECK_STR(get("PLAIN"), "a b", "env-file: a plain value, spaces kept");
	CHECK_STR(get("REF"), "prefix/x", "env-file: $X expands to what is set so far");
	CHECK_STR(get("BRACED"), "prefixy", "env-file: ${X} expands");
	CHECK_STR(get("UNSET"), "[]", "env-file: an unset variable expands to nothing");
	CHECK_STR(get("HOSTREF"), "[]", "env-file: the host's own variables are not in scope");
	CHECK_STR(get("SQ"), "$FROM_PREFIX \"q\"", "env-file: single quotes are literal");
	CHECK_STR(get("DQ"), "prefix 'q'", "env-file: double quotes expand");
	CHECK_STR(get("ESC"), "$FROM_PREFIX\\", "env-file: a backslash escapes the next character");
	CHECK_STR(get("DIGIT"), "$1x", "env-file: $ before a digit is literal");
	CHECK_STR(get("OPEN"), "${FROM_PREFIX", "env-file: an unclosed ${ is literal");
	CHECK_STR(get("DOLLAR"), "a$", "env-file: a final $ is literal");
	CHECK_STR(get("SELF"), "a b+", "env-file: a line sees the lines before it");
	CHECK(get("NOEQUALS") == NULL, "env-file: a line without '=' is ignored");
	CHECK(get("1BAD") == NULL, "env-file: an invalid name is dropped");
	CHECK_STR(get("INDENTED"), "ok", "env-file: leading blanks are skipped");
	CHECK(get("HOSTONLY") == NULL, "env-file: the host variable itself stays out");
	unlink(path);

	struct error err;
	char **none = NULL;
	files[0] = "/nonexistent/ochre-env-file";
	CHECK(environment_build(NULL, &o, HOME, &none, &err) < 0, "env-file: a missing file is an error");
	CHECK(strstr(err.msg, "--env-file /nonexistent/ochre-env-file: cannot read it") != NULL,
	      "env-file: the error names the file");
	CHECK(none == NULL, "env-file: nothing returned on error");
}

static void test_env_args(void)
{
	empty_host_environment();
	setenv("OCHREENV_OVER", "prefix", 1);
	const char *path = env_file("OVER=file\nFILEONLY=file\n");
	char *args[] = { "A=1,B=2", "LIST=x,y,z", "OVER=arg", "A=again", "1BAD=x,C=3", "NOEQ", "D=$A" };
	char *files[] = { (char *)path };
	struct env_options o = {
		.env_files = files, .n_env_files = 1, .env_args = args, .n_env_args = sizeof args / sizeof args[0]
	};
	CHECK(build(NULL, &o) == 0, "env: builds");
	CHECK_STR(get("A"), "again", "env: a later --env wins");
	CHECK_STR(get("B"), "2", "env: K=V,K2=V2 sets both");
	CHECK_STR(get("LIST"), "x,y,z", "env: a piece without '=' continues the value");
	CHECK_STR(get("OVER"), "arg", "env: overrides --env-file and the prefixes");
	CHECK_STR(get("FILEONLY"), "file", "env: --env-file settings stay");
	CHECK(get("1BAD") == NULL, "env: an invalid name is dropped");
	CHECK_STR(get("C"), "3", "env: the rest of an argument with an invalid name applies");
	CHECK(get("NOEQ") == NULL, "env: a value without '=' is dropped");
	CHECK_STR(get("D"), "$A", "env: values are not evaluated");
	CHECK(count("A") == 1 && count("OVER") == 1, "env: each name once");
	unlink(path);
}

static void test_path_edits(void)
{
	empty_host_environment();
	struct env_options o = { 0 };
	CHECK(build("[\"PATH=/img/bin\", \"APPEND_PATH=/after\"]", &o) == 0, "append: builds");
	CHECK_STR(get("PATH"), "/img/bin:/after", "append: from the image's Env");
	CHECK(get("APPEND_PATH") == NULL, "append: not a variable of its own");

	CHECK(build("[\"PREPEND_PATH=/before\"]", &o) == 0, "prepend: builds");
	CHECK_STR(get("PATH"), "/before:" DEFAULT_PATH, "prepend: to the default PATH");
	CHECK(get("PREPEND_PATH") == NULL, "prepend: not a variable of its own");

	/* Any source, the last setting of each; PATH itself from --env. */
	setenv("OCHREENV_APPEND_PATH", "/host-after", 1);
	setenv("SINGULARITYENV_PREPEND_PATH", "/host-before", 1);
	char *args[] = { "PATH=/arg/bin", "APPEND_PATH=/arg-after" };
	o.env_args = args;
	o.n_env_args = 2;
	CHECK(build("[\"APPEND_PATH=/img-after\", \"PREPEND_PATH=/img-before\"]", &o) == 0, "both: builds");
	CHECK_STR(get("PATH"), "/host-before:/arg/bin:/arg-after", "both: the last of each, around the final PATH");
	CHECK(count("PATH") == 1, "both: PATH once");

	empty_host_environment();
	const char *path = env_file("APPEND_PATH=$HOME/bin\n");
	char *files[] = { (char *)path };
	struct env_options f = { .env_files = files, .n_env_files = 1 };
	CHECK(build(NULL, &f) == 0, "append from env-file: builds");
	CHECK_STR(get("PATH"), DEFAULT_PATH ":" HOME "/bin", "append from env-file: evaluated there");
	unlink(path);
}

int main(void)
{
	test_defaults();
	test_cleanenv();
	test_host_env();
	test_mpi_launch();
	test_image_env();
	test_prefixes();
	test_env_file();
	test_env_args();
	test_path_edits();
	strv_free(vars);
	return unit_done();
}

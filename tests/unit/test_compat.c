/* The singularity/apptainer drop-in's tables (driver/cli/compat*.c):
 * every flag either names an option ochre's parser takes or says why not;
 * variables follow the invoked name's order; translations as documented. */
#define _GNU_SOURCE
#include "../../driver/cli/compat.h"
#include "../../driver/cli/compat_flags.h"
#include "../../driver/container/launch_options.h"
#include "unit.h"

#include <stdlib.h>

/* What the translation of argv gives, as one space-separated string. */
static char *translated(enum compat_family f, char **argv)
{
	static char buf[4096];
	int argc = 0;
	while (argv[argc])
		argc++;
	struct strv out = { 0 };
	struct error err = { .msg = "" };
	if (compat_translate(f, argc, argv, &out, &err) < 0) {
		snprintf(buf, sizeof buf, "error: %s", err.msg);
	} else {
		buf[0] = '\0';
		for (size_t i = 0; i < out.n; i++)
			snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", i ? " " : "", out.v[i]);
	}
	strv_free(out.v);
	return buf;
}

/* Every COMPAT_PASS launch flag's ochre options are known to ochre's
 * launch parser (a value check may still refuse the dummy value). */
static void test_pass_flags_exist(void)
{
	for (unsigned i = 0; i < compat_n_flags; i++) {
		const struct compat_flag *fl = &compat_flags[i];
		char name[128];
		if (fl->action != COMPAT_PASS) {
			snprintf(name, sizeof name, "flag --%s: says why it is not passed", fl->name);
			CHECK(fl->why && *fl->why, name);
			continue;
		}
		if (!(fl->commands & COMPAT_LAUNCH))
			continue;
		char *names = strdup(fl->ochre ? fl->ochre : fl->name);
		for (char *save = NULL, *n = strtok_r(names, " ", &save); n; n = strtok_r(NULL, " ", &save)) {
			char opt[64];
			snprintf(opt, sizeof opt, "--%s", n);
			char *argv[] = { "exec", opt, fl->value ? "1" : "img", "img", "true", NULL };
			if (!fl->value)
				argv[2] = "img", argv[3] = "true", argv[4] = NULL;
			struct launch_options o = { 0 };
			struct error err = { .msg = "" };
			int argc = fl->value ? 5 : 4;
			int ret = launch_options_parse(LAUNCH_EXEC, argc, argv, &o, &err);
			launch_options_free(&o);
			snprintf(name, sizeof name, "flag --%s: ochre's launch parser knows %s", fl->name, opt);
			CHECK(ret == 0 || !strstr(err.msg, "unknown option"), name);
		}
		free(names);
	}
}

/* No flag twice for a command, long or one-letter. */
static void test_no_duplicates(void)
{
	int dup = 0;
	for (unsigned i = 0; i < compat_n_flags; i++)
		for (unsigned k = i + 1; k < compat_n_flags; k++) {
			const struct compat_flag *a = &compat_flags[i], *b = &compat_flags[k];
			if (!(a->commands & b->commands))
				continue;
			if (strcmp(a->name, b->name) == 0 || (a->shorthand && a->shorthand == b->shorthand)) {
				printf("# duplicate: %s %s\n", a->name, b->name);
				dup++;
			}
		}
	CHECK(dup == 0, "flags: no name or one-letter form twice for a command");
}

static void test_names_and_versions(void)
{
	CHECK(compat_family_of("/usr/bin/singularity") == COMPAT_SINGULARITY, "argv[0] singularity");
	CHECK(compat_family_of("apptainer") == COMPAT_APPTAINER, "argv[0] apptainer");
	CHECK(compat_family_of("/opt/ochre/bin/ochre") == COMPAT_OCHRE, "argv[0] ochre");
	CHECK(compat_family_of("singularity-ce") == COMPAT_OCHRE, "argv[0] another name is ochre");
	const char *line = compat_version_line(COMPAT_SINGULARITY);
	CHECK(strncmp(line, "singularity-ce version 4.", 25) == 0, "singularity --version: SingularityCE's form");
	CHECK(strstr(line, "-ochre.") && !strchr(strrchr(line, ' ') + 1, ' '),
	      "singularity --version: the version is the last word, ochre's attached");
	CHECK(strncmp(compat_version_line(COMPAT_APPTAINER), "apptainer version 1.", 20) == 0,
	      "apptainer --version: Apptainer's form");
	CHECK(strcmp(compat_version(COMPAT_SINGULARITY), strrchr(line, ' ') + 1) == 0,
	      "singularity version: the same version alone");
}

static void test_env_order(void)
{
	unsetenv("OCHRE_HOSTNAME");
	setenv("SINGULARITY_HOSTNAME", "s", 1);
	setenv("APPTAINER_HOSTNAME", "a", 1);
	CHECK_STR(compat_getenv(COMPAT_SINGULARITY, "HOSTNAME", NULL), "s", "singularity: SINGULARITY_ only");
	CHECK_STR(compat_getenv(COMPAT_APPTAINER, "HOSTNAME", NULL), "a", "apptainer: APPTAINER_ first");
	CHECK_STR(compat_getenv(COMPAT_OCHRE, "HOSTNAME", NULL), "s", "ochre: then SINGULARITY_");
	setenv("OCHRE_HOSTNAME", "o", 1);
	CHECK_STR(compat_getenv(COMPAT_OCHRE, "HOSTNAME", NULL), "o", "ochre: OCHRE_ first");
	CHECK_STR(compat_getenv(COMPAT_SINGULARITY, "HOSTNAME", NULL), "s", "singularity: OCHRE_ not read");
	unsetenv("APPTAINER_HOSTNAME");
	CHECK_STR(compat_getenv(COMPAT_APPTAINER, "HOSTNAME", NULL), "s", "apptainer: then SINGULARITY_");
	setenv("SINGULARITY_HOSTNAME", "", 1);
	CHECK(compat_getenv(COMPAT_SINGULARITY, "HOSTNAME", NULL) == NULL, "an empty variable is unset");
	unsetenv("SINGULARITY_HOSTNAME");
	unsetenv("OCHRE_HOSTNAME");
}

static void test_translation(void)
{
	CHECK_STR(translated(COMPAT_SINGULARITY, (char *[]){ "exec", "-ce", "--pid", "img", "ls", "-l", NULL }),
		  "exec --contain --cleanenv --pid img ls -l", "singularity -ce: --contain --cleanenv");
	CHECK_STR(translated(COMPAT_SINGULARITY, (char *[]){ "exec", "-C", "-u", "-Bx:/y", "img", "true", NULL }),
		  "exec --contain --cleanenv --userns --bind x:/y img true",
		  "singularity -C: contain and cleanenv; -B's value in the same word");
	CHECK_STR(translated(COMPAT_SINGULARITY, (char *[]){ "exec", "--nv=false", "--oci", "img", "true", NULL }),
		  "exec img true", "--nv=false and --oci: nothing");
	CHECK(strstr(translated(COMPAT_SINGULARITY, (char *[]){ "exec", "--boot", "img", NULL }),
		     "error: singularity exec: --boot is not supported") != NULL,
	      "--boot: refused, named");
	CHECK(strstr(translated(COMPAT_APPTAINER, (char *[]){ "run", "--frobnicate", "img", NULL }),
		     "error: apptainer run: unknown or unsupported flag --frobnicate") != NULL,
	      "an unknown flag: refused, named");
	CHECK_STR(translated(COMPAT_SINGULARITY,
			     (char *[]){ "pull", "-F", "--nohttps", "x.sif", "docker://h:5000/a", NULL }),
		  "pull --force --no-https --name x.sif docker://h:5000/a", "pull -F FILE URI: --force --name FILE");

	setenv("SINGULARITY_BIND", "/a", 1);
	setenv("SINGULARITY_HOSTNAME", "envhost", 1);
	setenv("SINGULARITY_NOHTTPS", "true", 1);
	setenv("SINGULARITY_CONTAIN", "0", 1);
	CHECK_STR(translated(COMPAT_SINGULARITY, (char *[]){ "exec", "-B", "/b", "--hostname", "cli", "i", "c", NULL }),
		  "exec --bind /a --no-https --bind /b --hostname cli i c",
		  "variables: BIND adds, HOSTNAME yields to the command line, CONTAIN=0 nothing");
	CHECK_STR(translated(COMPAT_OCHRE, (char *[]){ "exec", "--hostname", "cli", "-B", "/b", "i", "c", NULL }),
		  "exec --bind /a --no-https --hostname cli -B /b i c",
		  "under ochre: SINGULARITY_ read, ochre's own options untouched");
	setenv("SINGULARITY_CLEANENV", "maybe", 1);
	CHECK(strstr(translated(COMPAT_SINGULARITY, (char *[]){ "exec", "i", "c", NULL }),
		     "error: $SINGULARITY_CLEANENV: 'maybe' is not a boolean") != NULL,
	      "a variable that is not a boolean: an error naming it");
	unsetenv("SINGULARITY_CLEANENV");
	setenv("SINGULARITY_BOOT", "1", 1);
	CHECK_STR(translated(COMPAT_SINGULARITY, (char *[]){ "exec", "i", "c", NULL }),
		  "exec --bind /a --hostname envhost --no-https i c",
		  "a refused flag's variable: ignored with a warning, not an error");
	unsetenv("SINGULARITY_BOOT");
	unsetenv("SINGULARITY_BIND");
	unsetenv("SINGULARITY_HOSTNAME");
	unsetenv("SINGULARITY_NOHTTPS");
	unsetenv("SINGULARITY_CONTAIN");
	CHECK_STR(translated(COMPAT_SINGULARITY, (char *[]){ "inspect", "--json", "x.sif", NULL }),
		  "inspect --json x.sif", "other commands: as given");
}

int main(void)
{
	test_pass_flags_exist();
	test_no_duplicates();
	test_names_and_versions();
	test_env_order();
	test_translation();
	return unit_done();
}

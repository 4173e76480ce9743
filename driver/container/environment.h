/* The container's environment, by SingularityCE's OCI-mode rules, lowest
 * precedence first:
 *   1. from the host only TERM and the proxy variables (none with --cleanenv;
 *      all but PATH, HOME and the loader's with --no-compat)
 *   2. the image's Env; then, in a Slurm step or MPI launch, the host's
 *      PMIX_, PMI_, SLURM_, OMPI_, OPAL_ and PRTE_ variables (even with
 *      --cleanenv: the job is not one without them; --no-mpi drops them),
 *      and OMPI_MCA_btl=^vader,sm if none of these set it (mpi.h says why);
 *      then HOME is set to the container's home
 *   3. the host's SINGULARITYENV_X, then APPTAINERENV_X, then OCHREENV_X
 *   4. --env-file FILE (the only place where values are evaluated: $X and
 *      ${X} expand, quotes are removed)
 *   5. -e/--env K=V[,K=V...], in order
 * A name that is not a shell identifier is dropped with a warning. The name
 * APPEND_PATH (PREPEND_PATH) in any source appends (prepends) its value to
 * the final PATH. PATH gets a default when nothing set it. */
#ifndef OCHRE_ENVIRONMENT_H
#define OCHRE_ENVIRONMENT_H

#include "../util/error.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

struct env_options {
	bool cleanenv;
	bool host_env;    /* --no-compat: pass the host's environment */
	bool mpi;         /* in an MPI launch: pass its variables (mpi.h) */
	bool no_eval;     /* --no-eval: --env-file values taken literally */
	char **env_files; /* --env-file values, each "FILE[,FILE...]" */
	size_t n_env_files;
	char **env_args; /* -e values, each "K=V[,K=V...]" */
	size_t n_env_args;
	const char *image; /* as given: SINGULARITY_/APPTAINER_ CONTAINER and NAME */
};

/* image_env: the image config's Env array, or NULL. *out is NULL-terminated
 * "NAME=value" strings (caller frees each and the array). */
int environment_build(json_object *image_env, const struct env_options *o, const char *home, char ***out,
		      struct error *err);

#endif

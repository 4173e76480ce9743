#define _GNU_SOURCE
#include "mpi.h"

#include "../../common/log.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Set by srun in every task of a step (SLURM_STEP_ID; SLURM_JOB_ID also in
 * a batch script), by a PMIx server (slurmstepd, Open MPI's orted, prterun)
 * in every client, by Open MPI's and MPICH's launchers in their ranks. */
static const char *const launch_markers[] = {
	"SLURM_STEP_ID", "SLURM_JOB_ID", "PMIX_RANK", "PMIX_NAMESPACE", "PMI_RANK", "PMI_FD", "OMPI_COMM_WORLD_SIZE",
};

/* The variables of the launch: PMIx's and PMI's wire-up, Slurm's job
 * description, Open MPI's (OMPI_, OPAL_) and PRRTE's settings. */
static const char *const launch_prefixes[] = { "PMIX_", "PMI_", "SLURM_", "OMPI_", "OPAL_", "PRTE_" };

/* Where a PMIx server keeps what its clients open by path. */
static const char *const pmix_dirs[] = { "PMIX_SERVER_TMPDIR" };

bool mpi_launch_detected(void)
{
	for (size_t i = 0; i < sizeof launch_markers / sizeof launch_markers[0]; i++) {
		const char *v = getenv(launch_markers[i]);
		if (v && v[0])
			return true;
	}
	return false;
}

bool mpi_variable(const char *item)
{
	for (size_t i = 0; i < sizeof launch_prefixes / sizeof launch_prefixes[0]; i++)
		if (strncmp(item, launch_prefixes[i], strlen(launch_prefixes[i])) == 0)
			return true;
	return false;
}

void mpi_add_mounts(struct mount_list *m)
{
	for (size_t i = 0; i < sizeof pmix_dirs / sizeof pmix_dirs[0]; i++) {
		const char *v = getenv(pmix_dirs[i]);
		if (!v || v[0] != '/')
			continue;
		char real[PATH_MAX];
		struct stat st;
		if (!realpath(v, real) || stat(real, &st) < 0 || !S_ISDIR(st.st_mode) || strcmp(real, "/") == 0) {
			log_warn("%s=%s: not a directory, not bound into the container", pmix_dirs[i], v);
			continue;
		}
		/* A user bind: the path comes from the caller's environment,
		 * so it gets every check that -B gets. */
		mount_list_bind(m, real, real, false, true);
	}
}

const char *mpi_default_btl(void)
{
	return "^vader,sm";
}

/* Inside a Slurm step or an MPI launch (srun, mpirun, mpiexec start
 * `ochre exec`), the container gets what the MPI stack needs to make its
 * ranks one job, without the user asking:
 *   - the launcher's variables (PMIx/PMI, SLURM_*, OMPI_*, ...), which
 *     compat mode would otherwise drop;
 *   - the PMIx server's directory (PMIX_SERVER_TMPDIR: its shared-memory
 *     data store, rendezvous files), bound at the same path;
 *   - OMPI_MCA_btl=^vader,sm unless the launch, the image or the user set
 *     OMPI_MCA_btl: ranks on one node talk over TCP, not shared memory.
 *     Each ochre launch has a pid namespace of its own (the starter makes
 *     one), so every rank is pid 1 there, and Open MPI's shared-memory
 *     transport takes a peer whose segment records the same creator pid
 *     for itself and uses the peer's addresses unmapped (a segfault in
 *     mca_btl_vader_sendi). Sharing /dev/shm would not help until ranks
 *     share a pid namespace.
 * The admin turns it off with 'mpi passthrough = no', the user with
 * --no-mpi. */
#ifndef OCHRE_MPI_H
#define OCHRE_MPI_H

#include "mount_list.h"

#include <stdbool.h>
#include <stddef.h>

/* Does ochre's own environment say it runs as (part of) a Slurm step or a
 * rank of an MPI launch? */
bool mpi_launch_detected(void);

/* Is the "NAME=value" (or NAME) item one of the MPI launch's variables? */
bool mpi_variable(const char *item);

/* The host directories of the launch that the container must see, at the
 * same paths, as binds on m. */
void mpi_add_mounts(struct mount_list *m);

/* OMPI_MCA_btl's value when nothing else sets it (see above). */
const char *mpi_default_btl(void);

#endif

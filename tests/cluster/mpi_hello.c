/*
 * tests/cluster/mpi_hello.c — the smallest MPI program that proves a job is
 * one job: every rank prints "rank R/N on HOST sum S", where S is an
 * allreduce over all ranks of (rank + 1), so N*(N+1)/2 when the ranks really
 * talk to each other. A job of singletons (every rank "0/1", sum 1) is easy
 * to tell apart.
 *
 * Built at test time, on the machine that runs the cluster:
 *     mpicc -O2 -o mpi_hello tests/cluster/mpi_hello.c
 */
#include <mpi.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	int rank, size, name_len;
	long mine, sum = 0;
	char host[MPI_MAX_PROCESSOR_NAME];

	if (MPI_Init(&argc, &argv) != MPI_SUCCESS)
		return 1;
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	MPI_Get_processor_name(host, &name_len);
	mine = rank + 1;
	if (MPI_Allreduce(&mine, &sum, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD) != MPI_SUCCESS) {
		fprintf(stderr, "rank %d: MPI_Allreduce failed\n", rank);
		MPI_Abort(MPI_COMM_WORLD, 1);
	}
	printf("rank %d/%d on %s sum %ld\n", rank, size, host, sum);
	fflush(stdout);
	MPI_Finalize();
	return 0;
}

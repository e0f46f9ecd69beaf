/* leftover.h: finding and removing what dead runs left behind.
 *
 * Every temporary name sluice makes carries its writer's PID:
 *   files        ".NAME.tmp-PID" or ".NAME.tmp-PID-N"   (io/target.c, the text output)
 *   directories  "sluice-PID-XXXXXX"                     (the replay's spilled sort runs)
 * A name is a leftover when no process with that PID exists (kill(pid, 0)
 * fails with ESRCH).  A live PID -- this process, another run, or an
 * unrelated process that reused the number -- is never touched, so a
 * sweep can run at any start, also beside a running pipeline; a leftover
 * whose PID was reused is only kept until a later sweep.
 *
 *   sl_leftovers st = {0};
 *   if (sl_sweep_tmp_files(cold_dir, 3, &st, err, sizeof err)) warn(err);
 *   if (sl_sweep_spill_dirs("/tmp", &st, err, sizeof err)) warn(err);
 *
 * Errors: SL_ERR_IO only when dir itself cannot be read (a missing dir is
 * no error); entries that vanish or cannot be removed are skipped.
 */
#ifndef SL_LEFTOVER_H
#define SL_LEFTOVER_H

#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

typedef struct sl_leftovers {
    uint64_t files; /* temporary files removed */
    uint64_t dirs;  /* spill directories removed (with their files) */
    uint64_t bytes; /* bytes freed */
} sl_leftovers;

/* True when no process has this PID (kill(pid, 0) fails with ESRCH). */
bool sl_pid_gone(long pid);
/* The PID in a temporary file name (".NAME.tmp-PID[-N]"), or -1. */
long sl_tmp_file_pid(const char *name);
/* The PID in a spill directory name ("sluice-PID-XXXXXX"), or -1. */
long sl_spill_dir_pid(const char *name);
/* Remove the temporary files of dead processes in dir and in its
 * subdirectories down to depth levels (0: dir only); directories that this
 * leaves empty are removed too (not dir itself). */
sl_err sl_sweep_tmp_files(const char *dir, int depth, sl_leftovers *st, char *err, size_t errlen);
/* Remove the spill directories of dead processes directly in dir. */
sl_err sl_sweep_spill_dirs(const char *dir, sl_leftovers *st, char *err, size_t errlen);

#endif

/* version.h: the program's version and the commit it was built from. */
#ifndef SL_VERSION_H
#define SL_VERSION_H

#define SLUICE_VERSION "0.1.0"
/* The Makefile passes -DSLUICE_COMMIT="<git rev-parse --short=12 HEAD>" to
 * the files that report it (the server's /metrics). */
#ifndef SLUICE_COMMIT
#define SLUICE_COMMIT "unknown"
#endif

#endif

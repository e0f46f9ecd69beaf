/* assets.h: the dashboard's static files, embedded in the binary.
 *
 * The definitions are generated from web/ at build time into
 * build/<mode>/gen/web_assets.c (owned by the front-end build rule); the
 * server (src/serve/http.c) answers GET/HEAD for every path listed here from
 * memory.  Paths are absolute URL paths: "/", "/assets/app.js", ...
 */
#ifndef SV_ASSETS_H
#define SV_ASSETS_H

#include <stddef.h>

typedef struct sv_asset { const char *path; /* "/", "/assets/app.js", ... */ const char *content_type; const unsigned char *data; size_t len; } sv_asset;
extern const sv_asset sv_assets[]; extern const size_t sv_assets_count;

#endif

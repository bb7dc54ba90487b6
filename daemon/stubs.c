/* Temporary stand-ins while the files they replace are being written. */
#include "daemon/http.h"
#include "daemon/server.h"
#include <stdlib.h>
#ifdef LSD_STUB_HUB
struct lsd_hub { int x; };
int lsd_hub_create(struct lsd_hub **out, struct lsd_relay *r) { (void)r; *out = calloc(1, sizeof(**out)); return *out ? 0 : -12; }
void lsd_hub_destroy(struct lsd_hub **h) { free(*h); *h = NULL; }
int lsd_hub_on_tag(void *hub, const uint8_t *d, size_t n, unsigned f) { (void)hub; (void)d; (void)n; (void)f; return 0; }
void lsd_hub_reset(struct lsd_hub *h) { (void)h; }
void lsd_hub_close_viewers(struct lsd_hub *h) { (void)h; }
unsigned lsd_hub_viewers(const struct lsd_hub *h) { (void)h; return 0; }
void lsd_hub_serve(struct lsd_hub *h, struct evhttp_request *req) { (void)h; lsd_reply_error(req, 501, "internal", "not yet"); }
void lsd_hub_get_stats(const struct lsd_hub *h, struct lsd_hub_stats *o) { (void)h; *o = (struct lsd_hub_stats){0}; }
#endif
#ifdef LSD_STUB_ROUTES_LIVE
const struct lsd_route lsd_routes_live[] = {{0, NULL, 0, NULL}};
#endif
#ifdef LSD_STUB_ROUTES_WEB
const struct lsd_route lsd_routes_web[] = {{0, NULL, 0, NULL}};
#endif
#ifdef LSD_STUB_COMPAT_OPENAPI
const struct lsd_route lsd_routes_openapi_compat[] = {{0, NULL, 0, NULL}};
#endif
#ifdef LSD_STUB_COMPAT_PUSH
const struct lsd_route lsd_routes_push[] = {{0, NULL, 0, NULL}};
#endif

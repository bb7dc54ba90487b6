/*
 * lightstreamd configuration: defaults, a JSON file, then command-line flags.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef LSD_CONFIG_H
#define LSD_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "lightstream/common.h"

/** Fleet mode (docs/cluster.md): the config key "cluster". */
#define LSD_CLUSTER_MAX_ENDPOINTS 8
struct lsd_cluster_config {
    bool enabled;               /**< the key is present: the node joins the fleet */
    char endpoints[LSD_CLUSTER_MAX_ENDPOINTS][128]; /**< etcd client URLs, http://host:port */
    uint32_t endpoint_count;
    char prefix[128];           /**< every key the fleet writes starts so (default "/lightstreamd/") */
    char node[64];              /**< this node's name; "" = the host name (default "") */
    char advertise_url[256];    /**< how others reach this node; "" = http://<listen>:<port> */
    uint32_t lease_ttl_s;       /**< the node's lease (default 5; 2 to 300) */
};

struct lsd_config {
    char listen[64];            /**< address to bind (default "127.0.0.1") */
    uint16_t port;              /**< (default 2233; 0 = any free port, printed at start) */
    char data_dir[512];         /**< state.json lives here (default LSD_DEFAULT_DATA_DIR) */
    char recordings_dir[512];   /**< .flv file outputs may write here only, created if missing;
                                     "" = <data_dir>/recordings (default "") */
    char web_dir[512];          /**< the page and mpegts.js (default LSD_DEFAULT_WEB_DIR) */
    char log_file[512];         /**< "" = stderr (default "") */
    enum ls_log_level log_level; /**< (default info) */
    char api_token[128];        /**< "" = no auth on the API (default "") */
    char viewer_token[128];     /**< "" = viewers need no token (default "") */
    bool require_token_beyond_loopback; /**< refuse to start (and to reload) without api_token
                                     when listen is not a loopback address (default false) */
    char public_url[256];       /**< base of play URLs; "" = from the request's Host (default "") */
    char cors_origin[256];      /**< origin allowed to call the API from a browser page on
                                     another origin ("*" = any); "" = same origin only (default) */
    char rtmp_push_base[256];   /**< compat /openapi/source: push to <base>/<id> too; "" = none */
    uint32_t max_body_bytes;    /**< request bodies above this get 413 (default 65536) */
    uint32_t max_relays;        /**< (default 1024) */
    uint32_t recordings_max_mib; /**< every relay's recordings together stay under this many
                                     MiB, the oldest deleted first; 0 = no limit (default 0) */
    uint32_t viewer_buffer_bytes; /**< a viewer's unsent bytes before it is skipped (default 2 MiB) */
    uint32_t viewer_stall_ms;   /**< a viewer that stays stuck this long is dropped (default 10000) */
    uint32_t on_demand_idle_s;  /**< on-demand relays stop this long after the last viewer (default 10) */
    uint32_t hls_idle_s;        /**< a live HLS packager stops this long after its last request
                                     (default 30) */
    uint32_t beat_interval_s;   /**< push API: BEATS interval; leases last 3 of them (default 20) */
    uint32_t gop_cache_max_bytes; /**< per relay (default 4 MiB) */
    uint32_t header_timeout_s;  /**< a request head must be complete this long after the
                                     connection starts waiting for it (default 10) */
    uint32_t body_timeout_s;    /**< and its body this long after the head (default 30) */
    uint32_t max_connections;   /**< HTTP connections at once, viewers included (default 4096) */
    uint32_t max_connections_per_address; /**< from one IPv4 address or IPv6 /64; 0 = no
                                     limit (default 1024) */
    struct lsd_cluster_config cluster; /**< not live: a change needs a restart */
    char config_path[512];      /**< the file read, "" if none */
    char port_file[512];        /**< flag only: write the bound port here once listening */
};

/** Fill the defaults. */
void lsd_config_defaults(struct lsd_config *c);

/**
 * Read a JSON config file over the current values. Unknown keys are errors
 * (a typo must not silently keep a default).
 * @return 0, or -errno with a message in @p err
 */
int lsd_config_load(struct lsd_config *c, const char *path, char *err, size_t err_size);

/**
 * Apply argv over the current values (after --config was loaded).
 * @return 0; 1 when --help/--version printed and the program should exit 0;
 *         -EINVAL with a message in @p err
 */
int lsd_config_parse_args(struct lsd_config *c, int argc, char **argv, char *err, size_t err_size);

/**
 * SIGHUP: copy into @p cur the keys of @p next that can change while the
 * daemon runs, and list the others that differ (they need a restart and are
 * left as they are). Lists are key names only, never values (tokens), comma
 * separated, "" when empty. Pure.
 * @return the number of keys copied
 */
unsigned lsd_config_merge_live(struct lsd_config *cur, const struct lsd_config *next,
                               char *changed, size_t changed_size, char *restart,
                               size_t restart_size);

/**
 * Whether @p addr (a listen address) is loopback: 127.0.0.0/8, ::1,
 * ::ffff:127.x.x.x or "localhost". Any other name or address, 0.0.0.0 and ::
 * included, reaches beyond this machine. Pure.
 */
bool lsd_listen_is_loopback(const char *addr);

enum lsd_exposure {
    LSD_EXPOSURE_OK,      /**< loopback, or an API token guards the API */
    LSD_EXPOSURE_OPEN,    /**< beyond loopback without api_token: warn loudly */
    LSD_EXPOSURE_REFUSED, /**< the same with require_token_beyond_loopback: do not start */
};

/** What listening as @p c says means for the API's safety. Pure. */
enum lsd_exposure lsd_config_exposure(const struct lsd_config *c);

/** Whether @p name is a valid cluster node name: 1 to 63 of [A-Za-z0-9._-]. Pure. */
bool lsd_cluster_node_valid(const char *name);

/** Parse a log level name ("error", "warn", "info", "debug"). @return 0 or -EINVAL */
int lsd_log_level_parse(const char *name, enum ls_log_level *out);

#endif

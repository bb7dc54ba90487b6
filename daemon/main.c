/*
 * lightstreamd: options, config, the server, run, cleanup. Everything else
 * lives in server.c and the files it calls.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"
#include "daemon/lifecycle.h"

int main(int argc, char **argv)
{
    struct lsd_config config;
    char err[1024] = "";
    lsd_config_defaults(&config);
    int ret = lsd_config_parse_args(&config, argc, argv, err, sizeof(err));
    if (ret == 1)
        return EXIT_SUCCESS; /* --help, --version */
    if (ret < 0) {
        fprintf(stderr, "lightstreamd: %s\n", err);
        return 2;
    }
    struct lsd_server *server = NULL;
    ret = lsd_server_create(&server, &config, argc, argv);
    if (ret < 0) /* 2: the config asks for a token it does not give */
        return lsd_config_exposure(&config) == LSD_EXPOSURE_REFUSED ? 2 : EXIT_FAILURE;
    ret = lsd_server_run(server);
    lsd_server_destroy(&server);
    return ret < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

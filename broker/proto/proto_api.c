/*
 * The API key table (see proto_api.h).
 */
#include "broker/proto/proto_api.h"

#include <stddef.h>

struct api_info {
    const char *name;       /* Kafka's message name without "Request" */
    int16_t first_flexible; /* first version with header v2, -1 if none */
};

static const struct api_info apis[] = {
#define PROTO_API_INFO(name, key, str, flex) [key] = {str, flex},
    PROTO_APIS(PROTO_API_INFO)
#undef PROTO_API_INFO
};

static const struct api_info *find(int16_t api_key)
{
    if (api_key < 0 || (size_t)api_key >= sizeof(apis) / sizeof(apis[0]) || !apis[api_key].name)
        return NULL;
    return &apis[api_key];
}

const char *proto_api_name(int16_t api_key)
{
    const struct api_info *a = find(api_key);
    return a ? a->name : NULL;
}

int proto_api_request_header_version(int16_t api_key, int16_t api_version)
{
    const struct api_info *a = find(api_key);
    if (!a)
        return -1;
    if (api_key == PROTO_API_CONTROLLED_SHUTDOWN && api_version == 0)
        return 0;
    if (a->first_flexible >= 0 && api_version >= a->first_flexible)
        return 2;
    return 1;
}

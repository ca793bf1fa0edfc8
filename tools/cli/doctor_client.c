/*
 * doctor_client.c - the client's generation, told by its exports (see
 * doctor_client.h).
 */
#include "tools/cli/doctor_client.h"

#include <stdbool.h>
#include <stdio.h>

void doctor_client_generation(const struct elfx *e, char *buf, size_t cap)
{
    bool body_len = elfx_dynsym(e, "GetMessageBodyLength") == ELFX_DEFINED;
    bool show = elfx_dynsym(e, "ShowPushConsumerVersion") == ELFX_DEFINED;
    bool trace = elfx_dynsym(e, "SetPushConsumerMessageTrace") == ELFX_DEFINED;
    if (body_len)
        snprintf(buf, cap, "master (unreleased): exports GetMessageBodyLength, so bodies are "
                 "kept whole");
    else if (show || trace)
        snprintf(buf, cap, "2.x: exports %s", show ? "ShowPushConsumerVersion" :
                 "SetPushConsumerMessageTrace");
    else
        snprintf(buf, cap, "1.2.x: no ShowPushConsumerVersion, SetPushConsumerMessageTrace or "
                 "GetMessageBodyLength");
}

/*
 * Kafka's rack-unaware replica assignment (see admin_assign.h).
 */
#include "broker/cluster/admin_assign.h"

#include <stdlib.h>
#include <sys/random.h>

static int draw(int n)
{
    unsigned r;
    if (getrandom(&r, sizeof(r), 0) != sizeof(r))
        r = (unsigned)rand();
    return (int)(r % (unsigned)n);
}

int admin_assign_replicas(const int32_t *brokers, int n, int32_t nparts, int32_t rf,
                          int32_t first_partition, int start, int shift, int32_t *out)
{
    if (n < 1 || rf < 1 || rf > n || nparts < 0)
        return -1;
    if (start < 0)
        start = draw(n);
    if (shift < 0)
        shift = draw(n);
    int32_t current = first_partition;
    for (int32_t p = 0; p < nparts; p++, current++) {
        if (current > 0 && current % n == 0)
            shift++;
        int first = (int)((current + start) % n);
        out[p * rf] = brokers[first];
        for (int32_t j = 0; j < rf - 1; j++) {
            int s = 1 + (int)((shift + j) % (n - 1));
            out[p * rf + 1 + j] = brokers[(first + s) % n];
        }
    }
    return 0;
}

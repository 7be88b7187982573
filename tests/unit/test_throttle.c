/*
 * Replication throttles (broker/cluster/throttle.c): the token bucket
 * that holds a rate at any response size, and the throttled-replica lists
 * (broker/log/log_config.c) that say which replicas it applies to.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "broker/cluster/throttle.h"
#include "broker/log/log_config.h"
#include "common/err.h"
#include "tests/unit/testutil.h"

static void test_lists(void)
{
    bool found;
    CU_ASSERT_TRUE(log_config_throttled_lookup("0:101,0:102,1:101", 0, 102, &found) && found);
    CU_ASSERT_TRUE(log_config_throttled_lookup("0:101,0:102,1:101", 1, 101, &found) && found);
    CU_ASSERT_TRUE(log_config_throttled_lookup("0:101,0:102,1:101", 1, 102, &found) && !found);
    CU_ASSERT_TRUE(log_config_throttled_lookup(" 3 : 7 , 4:8", 3, 7, &found) && found);
    CU_ASSERT_TRUE(log_config_throttled_lookup("*", 9, 9, &found) && found);
    CU_ASSERT_TRUE(log_config_throttled_lookup("", 0, 0, &found) && !found);
    const char *bad[] = {"0", "0:", ":1", "0:1,", "a:b", "0:1;1:2", "**", "0:99999999999", NULL};
    for (const char **b = bad; *b; b++)
        CU_ASSERT_FALSE(log_config_throttled_lookup(*b, 0, 1, &found));
    /* The topic config refuses them by key, naming it. */
    struct log_config lc;
    char err[256];
    memset(&lc, 0, sizeof(lc));
    CU_ASSERT_EQUAL(log_config_set(&lc, "leader.replication.throttled.replicas", "0:1,x", err,
                                   sizeof(err)),
                    GR_E_CONFIG);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "leader.replication.throttled.replicas"));
    CU_ASSERT_EQUAL(log_config_set(&lc, "follower.replication.throttled.replicas", "0:1,1:2", err,
                                   sizeof(err)),
                    0);
}

static void test_bucket(void)
{
    struct throttle_bucket b = {0, 0};
    const int64_t rate = 1000; /* bytes per second */
    CU_ASSERT_FALSE(throttle_bucket_empty(&b, rate, 10000)); /* starts full */
    throttle_bucket_take(&b, 5000);                           /* a response 5x the rate */
    CU_ASSERT_TRUE(throttle_bucket_empty(&b, rate, 10000));
    /* The debt of 4000 bytes takes 4 s to pay back. */
    CU_ASSERT_TRUE(throttle_bucket_empty(&b, rate, 13900));
    CU_ASSERT_FALSE(throttle_bucket_empty(&b, rate, 14100));
    /* Refills cap at one second's worth. */
    CU_ASSERT_FALSE(throttle_bucket_empty(&b, rate, 100000));
    throttle_bucket_take(&b, 1000);
    CU_ASSERT_TRUE(throttle_bucket_empty(&b, rate, 100000));
    /* A huge rate and a long pause do not overflow. */
    struct throttle_bucket big = {0, 0};
    CU_ASSERT_FALSE(throttle_bucket_empty(&big, INT64_MAX / 2, 1));
    throttle_bucket_take(&big, INT64_MAX / 4);
    CU_ASSERT_FALSE(throttle_bucket_empty(&big, INT64_MAX / 2, 1000000000));
    CU_ASSERT(big.allowance <= INT64_MAX / 2);
}

int main(void)
{
    static CU_TestInfo tests[] = {
        {"throttled-replica lists", test_lists},
        {"the token bucket holds the rate at any response size", test_bucket},
        CU_TEST_INFO_NULL};
    static CU_SuiteInfo suites[] = {{"throttle", NULL, NULL, NULL, NULL, tests},
                                    CU_SUITE_INFO_NULL};
    return test_main("test_throttle", suites);
}

/*
 * Replica assignment: Kafka's rack-unaware algorithm, checked against the
 * assignment Kafka's own tests expect, and its spreading properties.
 */
#include <string.h>

#include "broker/cluster/admin_assign.h"
#include "tests/unit/testutil.h"

static void test_matches_kafka(void)
{
    /* AdminUtils.assignReplicasToBrokers(brokers 0..4, 10 partitions, RF 3,
     * fixedStartIndex 0): the expectation from Kafka's AdminRackAwareTest. */
    static const int32_t want[10][3] = {{0, 1, 2}, {1, 2, 3}, {2, 3, 4}, {3, 4, 0}, {4, 0, 1},
                                        {0, 2, 3}, {1, 3, 4}, {2, 4, 0}, {3, 0, 1}, {4, 1, 2}};
    const int32_t brokers[5] = {0, 1, 2, 3, 4};
    int32_t out[30];
    CU_ASSERT_EQUAL_FATAL(admin_assign_replicas(brokers, 5, 10, 3, 0, 0, 0, out), 0);
    CU_ASSERT_EQUAL(memcmp(out, want, sizeof(want)), 0);
}

static void test_ids_not_positions(void)
{
    /* Broker ids need not be 0..n-1. */
    const int32_t brokers[3] = {101, 205, 307};
    int32_t out[6 * 2];
    CU_ASSERT_EQUAL_FATAL(admin_assign_replicas(brokers, 3, 6, 2, 0, 1, 0, out), 0);
    CU_ASSERT_EQUAL(out[0], 205); /* start index 1 */
    for (int p = 0; p < 6; p++) {
        CU_ASSERT_NOT_EQUAL(out[p * 2], out[p * 2 + 1]);
        for (int k = 0; k < 2; k++)
            CU_ASSERT_TRUE(out[p * 2 + k] == 101 || out[p * 2 + k] == 205 ||
                           out[p * 2 + k] == 307);
    }
}

static void test_spread_and_random_start(void)
{
    const int32_t brokers[4] = {1, 2, 3, 4};
    int32_t out[400 * 3];
    CU_ASSERT_EQUAL_FATAL(admin_assign_replicas(brokers, 4, 400, 3, 0, -1, -1, out), 0);
    int leaders[5] = {0}, replicas[5] = {0};
    for (int p = 0; p < 400; p++) {
        leaders[out[p * 3]]++;
        for (int k = 0; k < 3; k++) {
            replicas[out[p * 3 + k]]++;
            for (int j = 0; j < k; j++)
                CU_ASSERT_NOT_EQUAL(out[p * 3 + k], out[p * 3 + j]);
        }
    }
    for (int b = 1; b <= 4; b++) {
        CU_ASSERT_EQUAL(leaders[b], 100); /* leaders rotate evenly */
        CU_ASSERT_EQUAL(replicas[b], 300);
    }
}

static void test_continues_for_new_partitions(void)
{
    /* Kafka's CreatePartitions passes partition 0's leader index as both
     * start and shift, with the partition ids continuing: leaders keep
     * rotating from where the topic left off. */
    const int32_t brokers[5] = {0, 1, 2, 3, 4};
    int32_t tail[4 * 3];
    CU_ASSERT_EQUAL_FATAL(admin_assign_replicas(brokers, 5, 4, 3, 6, 2, 2, tail), 0);
    for (int i = 0; i < 4; i++) {
        CU_ASSERT_EQUAL(tail[i * 3], brokers[(6 + i + 2) % 5]);
        CU_ASSERT_NOT_EQUAL(tail[i * 3 + 1], tail[i * 3]);
        CU_ASSERT_NOT_EQUAL(tail[i * 3 + 2], tail[i * 3 + 1]);
        CU_ASSERT_NOT_EQUAL(tail[i * 3 + 2], tail[i * 3]);
    }
}

static void test_refuses_impossible(void)
{
    const int32_t brokers[2] = {0, 1};
    int32_t out[9];
    CU_ASSERT_EQUAL(admin_assign_replicas(brokers, 2, 3, 3, 0, -1, -1, out), -1);
    CU_ASSERT_EQUAL(admin_assign_replicas(brokers, 2, 3, 0, 0, -1, -1, out), -1);
    CU_ASSERT_EQUAL(admin_assign_replicas(brokers, 0, 3, 1, 0, -1, -1, out), -1);
    CU_ASSERT_EQUAL(admin_assign_replicas(brokers, 2, 0, 1, 0, -1, -1, out), 0);
}

int main(void)
{
    static CU_TestInfo tests[] = {
        {"matches Kafka's expected assignment", test_matches_kafka},
        {"uses broker ids, not positions", test_ids_not_positions},
        {"spreads leaders and replicas evenly", test_spread_and_random_start},
        {"added partitions continue the leader rotation", test_continues_for_new_partitions},
        {"refuses impossible replication factors", test_refuses_impossible},
        CU_TEST_INFO_NULL};
    static CU_SuiteInfo suites[] = {{"admin_assign", NULL, NULL, NULL, NULL, tests},
                                    CU_SUITE_INFO_NULL};
    return test_main("test_admin_assign", suites);
}

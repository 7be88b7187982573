/*
 * The two time formats of --reset-offsets, read as Kafka reads them:
 * --to-datetime's ISO-8601 local date-time (Utils.getDateTime: UTC unless
 * the text ends in Z or an offset) and --by-duration's ISO-8601 duration
 * (java.time.Duration.parse: PnDTnHnMn.nS).
 */
#ifndef GREGOR_TOOLS_GROUPS_TIME_H
#define GREGOR_TOOLS_GROUPS_TIME_H

#include <stddef.h>
#include <stdint.h>

/* "2021-03-01T10:00:00.000[Z|+01:00|-0130]" to epoch ms. 0, or -1 with
 * Kafka's reason in err. */
int groups_time_parse_datetime(const char *text, int64_t *epoch_ms, char *err, size_t errsz);
/* "P1DT2H3M4.5S", "PT15M", "-PT1H" to ms. 0, or -1 with the reason. */
int groups_time_parse_duration(const char *text, int64_t *ms, char *err, size_t errsz);

#endif

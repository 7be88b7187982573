# tools/: the performance tools (librdkafka based) and the benchmark driver.

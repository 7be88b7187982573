# tests/integration/: clusters of real brokers driven by real clients.

if HAVE_RDKAFKA
# Driven by tests/integration/suite.py against a broker it started (so not
# named test_*, which tests/run-tests would run on its own).
check_PROGRAMS += tests/integration/rdkafka_client
tests_integration_rdkafka_client_SOURCES = tests/integration/rdkafka_client.c
tests_integration_rdkafka_client_LDADD = $(RDKAFKA_LIBS)
endif

// Package compose holds no code: its test checks the repository's
// docker-compose.yml and Dockerfile, which no Docker engine runs in CI.
//
// The test parses ../../docker-compose.yml with go.yaml.in/yaml/v3 into typed
// structs and checks the wiring a `docker compose up` depends on:
//
//   - the services clickhouse, kafka, migrate and evalhouse exist, and every
//     service key is a real Compose key (a typo would be ignored by Docker);
//   - every image is pinned (no :latest, no missing tag), ClickHouse is
//     clickhouse/clickhouse-server:25.x, Kafka is apache/kafka in KRaft mode
//     with a consistent single-node listener and quorum setup;
//   - EVALHOUSE_STORE (for evalhouse and migrate) is a clickhouse:// DSN whose
//     host is the clickhouse service, port 9000, and whose user, password and
//     database are the ones the clickhouse service creates;
//   - every depends_on target exists and has a condition; service_healthy
//     targets have a healthcheck; evalhouse waits for migrate to complete;
//   - every service that publishes ports has a healthcheck (migrate, a
//     one-shot job, is exempt), published host ports don't collide, and named
//     volumes are declared;
//   - ../../Dockerfile exists, builds ./cmd/evalhouse in a golang image that
//     matches go.mod's Go version, and runs it as a non-root user from
//     debian:bookworm-slim with ENTRYPOINT ["/usr/local/bin/evalhouse"].
//
// ci_test.go and ci_gitlab_test.go check the CI files, which no CI here
// runs: ../../action.yml (every input used is declared and every declared
// one used, the build and caches follow the Makefile, one step runs
// scripts/ci/release-gate.sh with settings the script documents, the
// evidence is uploaded on failure, the last step exits with the verdict),
// examples/ci/github-actions.yml (the inputs it passes exist, steps act on
// outputs the action has and on exit codes the gates answer with) and
// examples/ci/gitlab-ci.yml (its jobs run the script with options it
// lists, JUnit and dotenv paths match the reports, allow_failure lists only
// hold and narrow). ci_script_test.go runs the script itself against a
// built evalhouse and an embedded store.
package deploycheck

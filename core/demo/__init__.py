"""The demo province: a deterministic generator of realistic group-customer data (`generator`),
two ways of writing it (`sinks`: bulk_create for the demo, COPY for the benchmark) and the
services the `demo` command calls (`services`)."""

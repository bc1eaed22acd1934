package io.snupkg.gateway.auth;

/** Who pushes: the subject a key belongs to, for ownership, logs and audit. Never the key. */
public record Principal(String subject) {}

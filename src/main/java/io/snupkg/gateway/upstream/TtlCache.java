package io.snupkg.gateway.upstream;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A bounded cache whose entries expire: least recently used entries go first when it is full. Shared by all event
 * loops, so every method is synchronized; each is a few map operations. Hand-written because the one job here,
 * an LRU bound plus a per-entry deadline, is a LinkedHashMap feature and not worth a cache library.
 */
public final class TtlCache<K, V> {
  private record Timed<V>(V value, Instant expires) {}

  private final Clock clock;
  private final Map<K, Timed<V>> entries;

  public TtlCache(int maxEntries, Clock clock) {
    this.clock = clock;
    this.entries = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<K, Timed<V>> eldest) {
        return size() > maxEntries;
      }
    };
  }

  public synchronized Optional<V> get(K key) {
    Timed<V> t = entries.get(key);
    if (t == null) {
      return Optional.empty();
    }
    if (!clock.instant().isBefore(t.expires())) {
      entries.remove(key);
      return Optional.empty();
    }
    return Optional.of(t.value());
  }

  /** Keeps the value for {@code ttl}; a zero or negative ttl keeps nothing. */
  public synchronized void put(K key, V value, Duration ttl) {
    if (ttl.isZero() || ttl.isNegative()) {
      entries.remove(key);
      return;
    }
    entries.put(key, new Timed<>(value, clock.instant().plus(ttl)));
  }

  public synchronized int size() {
    return entries.size();
  }
}

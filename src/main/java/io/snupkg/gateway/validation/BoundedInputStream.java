package io.snupkg.gateway.validation;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/** Fails a read that goes past a byte budget, so that inflated data is bounded by what is read, not by headers. */
final class BoundedInputStream extends FilterInputStream {
  /** Thrown when the budget is exhausted; carries the reason phrase. */
  static final class BudgetExceeded extends IOException {
    BudgetExceeded(String message) {
      super(message, null);
    }
  }

  private final long limit;
  private final String name;
  private long count;

  BoundedInputStream(InputStream in, long limit, String name) {
    super(in);
    this.limit = limit;
    this.name = name;
  }

  @Override
  public int read() throws IOException {
    int b = super.read();
    if (b >= 0) {
      account(1);
    }
    return b;
  }

  @Override
  public int read(byte[] buf, int off, int len) throws IOException {
    int n = super.read(buf, off, len);
    if (n > 0) {
      account(n);
    }
    return n;
  }

  private void account(long n) throws BudgetExceeded {
    count += n;
    if (count > limit) {
      throw new BudgetExceeded(name + ": larger than " + limit + " bytes when inflated");
    }
  }
}

package io.snupkg.gateway;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import io.snupkg.gateway.config.GatewayConfig;
import org.slf4j.LoggerFactory;

/**
 * Applies {@code logging.*} once the configuration is read: logback has already configured itself from
 * logback.xml by then, so the level and, for {@code format: json}, the console encoder are set here.
 */
final class LogSetup {
  private static final int QUEUE_SIZE = 8192;

  private LogSetup() {}

  static void apply(GatewayConfig.Logging logging) {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return; // another SLF4J backend on the class path: its own configuration rules
    }
    context.getLogger("io.snupkg").setLevel(Level.toLevel(logging.level().name()));
    if (logging.format() == GatewayConfig.LogFormat.JSON) {
      JsonEncoder encoder = new JsonEncoder();
      encoder.setContext(context);
      encoder.setWithFormattedMessage(true); // the line as people read it, not the pattern and its arguments
      encoder.setWithMessage(false);
      encoder.setWithArguments(false);
      encoder.setWithContext(false);
      encoder.setWithSequenceNumber(false);
      encoder.setWithNanoseconds(false);
      encoder.start();
      ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
      console.setContext(context);
      console.setName("json");
      console.setEncoder(encoder);
      console.start();
      AsyncAppender async = new AsyncAppender(); // as logback.xml does for text: no event loop writes to stdout
      async.setContext(context);
      async.setName("async-json");
      async.setQueueSize(QUEUE_SIZE);
      async.setDiscardingThreshold(0);
      async.addAppender(console);
      async.start();
      Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
      root.detachAndStopAllAppenders();
      root.addAppender(async);
    }
  }

  /** Writes the lines still queued in the asynchronous appenders; call last, on the way out. */
  static void flush() {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      context.stop();
    }
  }
}

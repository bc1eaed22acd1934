package io.snupkg.gateway.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Everything logged while it is open, from every thread: each event's formatted message and the messages of its
 * exception chain. The gateway's own loggers ({@code io.snupkg}) log at DEBUG meanwhile, so that a test sees
 * what an operator who turns debugging on would see.
 */
public final class LogCapture implements AutoCloseable {
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
  private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  private final Logger gateway = (Logger) LoggerFactory.getLogger("io.snupkg");
  /** Does not pass its lines on to the root logger (logback.xml), so it is listened to directly. */
  private final Logger audit = (Logger) LoggerFactory.getLogger("snupkg.audit");
  private final Level gatewayLevel = gateway.getLevel();

  public LogCapture() {
    appender.start();
    root.addAppender(appender);
    audit.addAppender(appender);
    gateway.setLevel(Level.DEBUG);
  }

  public List<String> lines() {
    List<ILoggingEvent> events;
    synchronized (appender) { // AppenderBase.doAppend holds this lock while it adds
      events = new ArrayList<>(appender.list);
    }
    List<String> lines = new ArrayList<>();
    for (ILoggingEvent e : events) {
      StringBuilder line = new StringBuilder(e.getLoggerName()).append(" - ").append(e.getFormattedMessage());
      for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
        line.append(" | ").append(t.getClassName()).append(": ").append(t.getMessage());
      }
      lines.add(line.toString());
    }
    return lines;
  }

  @Override
  public void close() {
    root.detachAppender(appender);
    audit.detachAppender(appender);
    appender.stop();
    gateway.setLevel(gatewayLevel);
  }
}

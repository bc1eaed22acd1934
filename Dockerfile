# The gateway's image. Build the jar first, then the image:
#   mvn -B package -DskipTests
#   docker build -t snupkg-gateway:0.1.0 .
FROM eclipse-temurin:17-jre-jammy

# A fixed numeric user, so that Kubernetes' runAsNonRoot can check it and runAsUser in k8s/base/deployment.yaml
# matches. /app/conf and /app/data are its own so that a plain `docker run` can create the first key and the
# store; in Kubernetes both are volumes.
RUN groupadd --system --gid 10001 snupkg \
 && useradd --system --uid 10001 --gid 10001 --home-dir /app --no-create-home --shell /usr/sbin/nologin snupkg \
 && mkdir -p /app/conf /app/data \
 && chown 10001:10001 /app/conf /app/data

WORKDIR /app
COPY target/snupkg-gateway.jar /app/snupkg-gateway.jar
COPY --chown=10001:10001 conf/gateway.yaml /app/conf/gateway.yaml

USER 10001:10001
EXPOSE 8080 9090

# Exec form: java is PID 1 and gets SIGTERM itself, drains the uploads in flight and exits 0. A shell in
# between would not pass the signal on. Arguments replace the config path: `keys add ...` works as well.
ENTRYPOINT ["java", "-jar", "/app/snupkg-gateway.jar"]
CMD ["/app/conf/gateway.yaml"]

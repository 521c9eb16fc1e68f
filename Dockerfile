# syntax=docker/dockerfile:1
# HealthVision: the compiled single binary on the official Bun image of the pinned version.
ARG BUN_VERSION=1.4.5

FROM oven/bun:${BUN_VERSION} AS build
WORKDIR /app
COPY package.json bun.lock bunfig.toml tsconfig.json ./
# Runtime dependencies only: the compiler is Bun itself, and the type checker and linter run in CI.
RUN bun install --frozen-lockfile --production
COPY src ./src
RUN bun run build

# The slim image still has `bun`, which the health check uses; the server itself is the binary.
FROM oven/bun:${BUN_VERSION}-slim
WORKDIR /app
COPY --from=build /app/dist/healthvision /app/healthvision
RUN mkdir -p /data && chown bun:bun /data && chmod 700 /data
# Production by default: boot refuses the dev mailbox/payments and a missing JWT_SECRET. To try the image
# on embedded defaults, run it with NODE_ENV=development (the dev mailbox then exposes sign-in codes).
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data
VOLUME /data
USER bun
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["bun", "-e", "const r = await fetch(`http://127.0.0.1:${process.env.PORT}/health`); process.exit(r.ok ? 0 : 1)"]
ENTRYPOINT ["/app/healthvision"]

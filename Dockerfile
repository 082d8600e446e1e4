# The voice bridge: one long-lived Deno process per container. It needs UDP to
# reach Meta's relays; run it with a public IP (or 1:1 NAT and PUBLIC_IP set)
# and open RTP_PORT_MIN..RTP_PORT_MAX/udp. `docker run --ulimit rtprio=10` lets
# the bridge run at real-time priority (MEDIA_REALTIME_PRIORITY).
FROM denoland/deno:debian-2.9.6
WORKDIR /app
COPY deno.json deno.lock ./
COPY lib ./lib
COPY bridge ./bridge
COPY store ./store
COPY supabase ./supabase
# The operator console, served by this container when CONSOLE_PORT is set (CONSOLE_HOST=0.0.0.0
# to reach it from outside; put it behind TLS and set CONSOLE_PUBLIC_URL). uPlot is read from
# Deno's npm cache as a file, so it is cached by name.
COPY console ./console
RUN deno cache bridge/main.ts console/server/run.ts npm:uplot@1.6.32 && mkdir -p .data && chown deno:deno .data
# Production keeps call records in Supabase's Postgres (DATABASE_URL or SUPABASE_DB_URL);
# without either the bridge falls back to PGlite under /app/.data.
ENV BRIDGE_PORT=8080 RTP_PORT_MIN=40000 RTP_PORT_MAX=40999
EXPOSE 8080/tcp 8790/tcp 40000-40999/udp
USER deno
CMD ["deno", "task", "bridge"]

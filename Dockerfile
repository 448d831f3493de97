# One image for every process of the pipeline (poller, jobs, forecaster, web, bootstrap); compose picks the
# entry point per service. TypeScript runs through tsx, as in development.
FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY common ./common
COPY ingest ./ingest
COPY sql ./sql
COPY jobs ./jobs
COPY forecast ./forecast
COPY web ./web
COPY migrations ./migrations
COPY stack ./stack
COPY fakes ./fakes
# node_modules/.cache: where replay-s3 writes its bundled reader worker (it falls back to tsx where it cannot).
RUN mkdir -p /spool node_modules/.cache && chown node:node /spool node_modules/.cache
USER node
CMD ["node", "--import", "tsx", "migrations/migrate.ts"]

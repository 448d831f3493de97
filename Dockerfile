# One image for every process of the pipeline (poller, jobs, forecaster, web, bootstrap); compose picks the
# entry point per service. The image runs the compiled JavaScript with production dependencies only.
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
RUN npm ci --ignore-scripts
COPY common ./common
COPY ingest ./ingest
COPY sql ./sql
COPY jobs ./jobs
COPY forecast ./forecast
COPY web ./web
COPY migrations ./migrations
COPY stack ./stack
COPY fakes ./fakes
RUN npm run build

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /src/dist ./
RUN mkdir -p /spool && chown node:node /spool
USER node
CMD ["node", "migrations/migrate.js"]

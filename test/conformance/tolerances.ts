// The reference's fields Keel knowingly does not send, per method, each group with its reason.
// A difference outside these lists fails the conformance suite; shrink a list when Keel gains a field.

export interface Tolerance {
  /** Path prefixes (as shapeDiff prints them) that may be missing or differ. */
  paths: readonly string[];
  why: string;
}

const p = (prefix: string, keys: string) => keys.split(/\s+/).map((k) => `${prefix}${k}`);

/** Session row fields of features Keel lacks: ownership, sharing, placement, fast mode, runtimes. */
const ROW_EXTRAS =
  "visibility permissionModePending createdVia createdActor owner createdAt classification isMain isBackground " +
  "chatType pinned unread lastInteractionAt systemSent abortedLastRun thinkingLevels thinkingOptions " +
  "thinkingDefault effectiveFastMode effectiveFastModeSource fastAutoOnSeconds totalTokensFresh " +
  "effectiveResponseUsage effectiveQueueMode modelOverrideSource runtimeSelectionLocked agentRuntime snapshotAt " +
  "placement activitySummary hiddenFromInvolvingMe sharingRole contextBudgetStatus estimatedCostUsd status " +
  "startedAt endedAt runtimeMs lastRunId lastMessagePreview activeRunIds archived agentId model modelProvider " +
  "contextTokens";
const ROW_WHY =
  "session rows carry Keel's own fields (kind, label, tokens, hasActiveRun, lastRunStatus); the reference's ownership, sharing, placement, fast-mode, runtime and per-run timing fields describe features Keel does not have";

export const TOLERATED: Record<string, Tolerance[]> = {
  connect: [
    {
      paths: [
        ...p("payload.server.", "buildId bootId controlUiBuildSource"),
        ...p("payload.", "controlUiLinkReaders controlUiWidgetKinds pluginSurfaceUrls"),
        ...p("payload.auth.", "deviceToken issuedAtMs recoveryMigrationAllowed recoveryScope"),
        ...p("payload.policy.", "allowedSessionVisibilities attachments hasMultipleSessionSharingIdentities"),
        ...p("payload.snapshot.", "appliedConfigHash configPath stateDir suspension updateSchedule"),
        ...p("payload.snapshot.sessionDefaults.", "modelConfigured ownership scope selectionRequired"),
        ...p("payload.snapshot.presence[].", "deviceFamily ip text"),
        "payload.snapshot.health",
      ],
      why: "hello-ok carries no build ids, devices (tier 2), control UI, plugins, attachments or sharing; snapshot.health is the health result's subset (see health)",
    },
  ],
  health: [
    {
      paths: p(
        "payload.",
        "channelLabels channelOrder channels configReload modelRuntime plugins eventLoop.cpuBreakdown",
      ),
      why: "no channels, plugins or model runtimes; reload state is in status.config",
    },
    {
      paths: p("payload.agents[].heartbeat.", "prompt target ackMaxChars"),
      why: 'Keel runs no heartbeats: each agent\'s heartbeat is {enabled: false, every: "disabled"}',
    },
  ],
  status: [
    {
      paths: p(
        "payload.",
        "eventLoop hostDesktop modelRuntime processMemory runtimeVersion shutdownBudget taskAudit tasks workerPools heartbeat.agents[].waitingForRoute",
      ),
      why: "`status` is Keel's own shape (spec: Keel's choices)",
    },
  ],
  "agents.list": [
    {
      paths: [
        ...p(
          "payload.agents[].",
          "agentRuntime defaultPermissionMode kind model thinkingDefault thinkingLevels thinkingOptions workspace workspaceGit",
        ),
      ],
      why: "no workspaces or runtimes",
    },
  ],
  "models.list": [
    {
      paths: p("payload.models[].", "local thinkingDefault thinkingLevels"),
      why: "no per-model thinking levels",
    },
  ],
  "logs.tail": [
    {
      paths: p("payload.", "reset truncated"),
      why: "sent only when true by Keel (the reference sends false)",
    },
  ],
  "config.get": [
    {
      paths: [
        ...p(
          "payload.",
          "agentRosterIncludeOwned appliedConfigHash bindingsIncludeOwned configRevisionHash includeProvenance includedPaths legacyIssues parsed raw resolved runtimeConfig sourceConfig warnings",
        ),
        "payload.config",
      ],
      why: "Keel's config has Keel's keys (agents.defaults.model is a string ref), redacted; provenance views are not kept",
    },
  ],
  "chat.history": [
    {
      paths: [
        ...p("payload.", "defaults deltaCursor inFlightRun pendingInputs totalMessages"),
        "payload.sessionInfo",
        ...p(
          "payload.messages[].__openclaw.",
          "idempotencyKey kind recordTimestampMs transcriptPosition transport",
        ),
        "payload.messages[].content",
      ],
      why: "sessionInfo carries Keel's {hasActiveRun, activeRunIds} (re-attach), not the reference's session row; a user message's content is its text, as the reference sends a fresh one",
    },
  ],
  "chat.send": [{ paths: ["payload.serverTiming"], why: "no per-request timing breakdown" }],
  agent: [
    {
      paths: ["payload.result.meta", "payload.result.sourceReplyDeliveryState"],
      why: "the final meta carries Keel's durationMs, model and usage, not the reference's execution trace",
    },
  ],
  "agent.wait": [
    {
      paths: ["payload.terminalReceipt"],
      why: "no delivery receipts: Keel delivers to no channel",
    },
  ],
  "sessions.list": [
    {
      paths: [
        "payload.owners",
        ...p(
          "payload.defaults.",
          "agentRuntime modelSelectionTarget thinkingDefault thinkingLevels thinkingOptions",
        ),
        ...p("payload.sessions[].", ROW_EXTRAS),
      ],
      why: ROW_WHY,
    },
    {
      paths: p(
        "payload.sessions[].",
        "participants expandedParticipants participantCount hasAutomation lastActivityAt displayName",
      ),
      why: "no multi-participant sessions, automations or display names",
    },
    {
      paths: p("payload.sessions[].", "archivedAt archiveReason"),
      why: "present on archived rows only: the replay's seeded copy of a session the reference had archived is live",
    },
  ],
  "sessions.describe": [{ paths: p("payload.session.", ROW_EXTRAS), why: ROW_WHY }],
  "sessions.patch": [
    { paths: ["payload.entry", "payload.resolved"], why: "the entry is Keel's session row" },
  ],
  "sessions.reset": [
    { paths: ["payload.entry", "payload.resolved"], why: "the entry is Keel's session row" },
  ],
  "channels.status": [
    {
      paths: p("payload.eventLoop.", "cpuBreakdown cpuCoreRatio degradedSinceMs"),
      why: "Keel's event-loop figures (p50/p99/max delay, utilization) without a CPU breakdown",
    },
  ],
  "diagnostics.stability": [
    {
      paths: ["payload.events[]", "payload.summary.byType"],
      why: "events are Keel's own (restart, shed, memory sample, heartbeat); byType is keyed by those type names",
    },
  ],
};

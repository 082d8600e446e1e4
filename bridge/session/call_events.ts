/**
 * The names the session layer logs and records. Typed, so a misspelt event is
 * a type error rather than a log line no alert or query ever matches.
 *
 * @module
 */

/** Meta's call statuses the function passes on (`POST /sessions/:id/events`). */
export type MetaCallStatus = "RINGING" | "ACCEPTED" | "REJECTED";

/** Log events of one call (`bridge.session`); each line carries `callId`. */
export type CallLogEvent =
  | "VOICE_BRIDGE_SESSION_STARTED"
  | "VOICE_BRIDGE_SESSION_ENDED"
  | "WEBRTC_PEER_CONNECTED"
  | "WEBRTC_PEER_FAILED"
  | "WEBRTC_PEER_CLOSE_FAILED"
  | "WEBRTC_CONNECT_TIMEOUT"
  | "WEBRTC_NO_CALLER_MEDIA"
  | "MEDIA_TICK_FAILED"
  | "AUDIO_BRIDGE_ACTIVE"
  | "AUDIO_BRIDGE_START_FAILED"
  | "AI_AUDIO_SENT"
  | "USER_AUDIO_RECEIVED"
  | "AGENT_READY"
  | "AGENT_START_FAILED"
  | "AGENT_EVENT"
  | "AGENT_HANGUP_REQUESTED"
  | "AGENT_FAILED"
  | "AGENT_CLOSE_FAILED"
  | "CALL_MAX_DURATION"
  | "CALLER_SILENCE_TIMEOUT"
  | "CALL_RECORD_FAILED"
  | "WA_CALL_META_EVENT"
  | "WA_TERMINATE_SENT"
  | "WA_TERMINATE_FAILED"
  | "WA_OUTBOUND_ANSWER_APPLIED"
  | "WA_OUTBOUND_ANSWER_INVALID"
  | "WA_OUTBOUND_NO_ANSWER"
  | "WA_OUTBOUND_REJECTED";

/** Log events of the session manager (`bridge.sessions`). */
export type ManagerLogEvent =
  | "VOICE_BRIDGE_AT_CAPACITY"
  | "VOICE_BRIDGE_OFFER_REJECTED"
  | "VOICE_BRIDGE_SESSION_CREATE_FAILED"
  | "VOICE_BRIDGE_SESSION_ORPHANED"
  | "VOICE_BRIDGE_RECORD_FAILED"
  | "VOICE_BRIDGE_DRAINING"
  | "VOICE_BRIDGE_DRAIN_ENDING_CALLS"
  | "VOICE_BRIDGE_DRAIN_INCOMPLETE"
  | "VOICE_BRIDGE_SESSION_END_FAILED"
  | "VOICE_BRIDGE_DRAINED";

/** Events a session writes to the call store (`voice_call_events.name`). */
export type CallRecordEvent =
  | "bridge_session_started"
  | "bridge_session_orphaned"
  | "bridge_accept"
  | "no_caller_media"
  | "bridge_session_ended"
  | "terminate_sent"
  | "terminate_failed"
  | "meta_connect_answer"
  | "meta_answer_applied"
  | "meta_answer_invalid"
  | "outbound_no_answer"
  | `meta_status_${Lowercase<MetaCallStatus>}`;

/**
 * WhatsApp Cloud API calling rules for SDP (reference §3), in one import:
 * validate Meta's offer ({@linkcode validateWhatsAppOffer}), shape a local
 * WebRTC answer into one Meta accepts ({@linkcode shapeWhatsAppAnswer}), and
 * check an answer against Meta's checklist ({@linkcode checkWhatsAppAnswer},
 * rule by rule in {@linkcode WHATSAPP_ANSWER_CHECKLIST}).
 *
 * @module
 */

export { type Fingerprint, WHATSAPP_PROTO } from "./whatsapp_attributes.ts";
export {
  type OfferValidation,
  validateWhatsAppOffer,
  type WhatsAppOffer,
} from "./whatsapp_offer.ts";
export { type ShapedAnswer, type ShapeOptions, shapeWhatsAppAnswer } from "./whatsapp_answer.ts";
export {
  type AnswerExpectations,
  type AnswerRule,
  type AnswerRuleName,
  checkWhatsAppAnswer,
  WHATSAPP_ANSWER_CHECKLIST,
} from "./whatsapp_checklist.ts";

/**
 * What one WhatsApp error code means for the person running this service.
 * Source: https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes (and REFERENCE.md section 5).
 */
export interface CatalogEntry {
  /** One plain sentence: what happened. */
  readonly meaning: string;
  /** One plain imperative sentence: what the operator should do. */
  readonly action: string;
  /** True when sending the same request again later can succeed (limits, outages, maintenance). */
  readonly transient: boolean;
}

/**
 * WhatsApp error codes by number. Keyed on `code` only: Meta says titles will be deprecated, and
 * the same title has covered different codes. Codes 200-299 (permissions) are one range, handled
 * by the explainer, not listed here.
 */
export const ERROR_CATALOG: ReadonlyMap<number, CatalogEntry> = new Map<number, CatalogEntry>([
  // Authorization: the token, not the message, is at fault; no retry helps until it is replaced.
  [0, {
    meaning: 'Meta could not authenticate the app user because the access token expired or was invalidated.',
    action: 'Generate a new access token and put it in the configuration.',
    transient: false,
  }],
  [3, {
    meaning: 'The app lacks a capability or permission that this endpoint requires.',
    action: "Check the token in Meta's Access Token Debugger and grant the permission the endpoint needs.",
    transient: false,
  }],
  [10, {
    meaning: 'Permission for this call was never granted to the app or has been removed.',
    action: "Check the token in Meta's Access Token Debugger and grant the missing permission again.",
    transient: false,
  }],
  [190, {
    meaning: 'The access token has expired or is no longer valid.',
    action: 'Generate a new access token, preferably a system user token, and put it in the configuration.',
    transient: false,
  }],

  // Integrity: Meta has restricted the account.
  [368, {
    meaning: 'The WhatsApp Business Account is temporarily blocked for violating a platform policy.',
    action: "Review the account's policy status in WhatsApp Manager and follow Meta's policy enforcement guidance.",
    transient: false,
  }],
  [130497, {
    meaning: "The WhatsApp Business Account may not message users in the recipient's country.",
    action: 'Check which countries your business category may message under the WhatsApp Business Messaging Policy.',
    transient: false,
  }],
  [131031, {
    meaning: 'The account is locked for a policy violation or because request data such as the PIN did not match it.',
    action: "Review the account's policy status and the PIN sent, and ask the Health Status API for the reason.",
    transient: false,
  }],

  // Throttling: the same request succeeds once the limit resets.
  [4, {
    meaning: 'The app has reached its Graph API call rate limit.',
    action: 'Back off, retry later, and make fewer API calls from the app.',
    transient: true,
  }],
  [80007, {
    meaning: 'The WhatsApp Business Account has reached its API call rate limit.',
    action: 'Back off, retry later, and make fewer API calls for this account.',
    transient: true,
  }],
  [130429, {
    meaning: 'The phone number has reached its Cloud API message throughput limit.',
    action: 'Back off and send again later at a lower rate.',
    transient: true,
  }],
  [131048, {
    meaning: 'Meta limits how many messages this number may send because earlier ones were blocked or flagged as spam.',
    action: "Send less and check the number's quality rating in WhatsApp Manager.",
    transient: true,
  }],
  [131056, {
    meaning: 'Too many messages went from this business number to the same recipient in a short time.',
    action: 'Wait before messaging this recipient again, as other recipients are not affected.',
    transient: true,
  }],
  [133016, {
    meaning: 'Registration or deregistration failed because this number had too many attempts (10 per 72 hours).',
    action: 'Wait until Meta unblocks the number, then register it once.',
    transient: true,
  }],

  // General and messaging errors.
  [1, {
    // Meta cannot tell a bad request from a server fault here, so a blind retry is not advised.
    meaning: 'Meta reported an unknown error: either the request is invalid or its server failed.',
    action: "Check Meta's status page, and if there is no outage, check the request against the endpoint reference.",
    transient: false,
  }],
  [2, {
    meaning: "Meta's API is temporarily down or overloaded.",
    action: "Check Meta's status page and retry later.",
    transient: true,
  }],
  [33, {
    meaning: 'The business phone number named in the request has been deleted.',
    action: 'Check the phone number ID used in the request and in the configuration.',
    transient: false,
  }],
  [100, {
    meaning: 'The request has a parameter that is unsupported, misspelled or has an invalid value.',
    action: "Check the parameter names and values against the endpoint's reference.",
    transient: false,
  }],
  [130472, {
    meaning: "Meta did not send the message because the recipient is in Meta's marketing message experiment.",
    action: 'Do nothing, because the recipient is held out by Meta rather than by a fault in the request.',
    transient: false,
  }],
  [131000, {
    meaning: 'The message failed to send because of an unknown error at Meta.',
    action: 'Retry later, and open a Meta support ticket if it keeps happening.',
    transient: true,
  }],
  [131005, {
    meaning: 'Meta denied access because the token lacks a permission or had it removed.',
    action: "Check the token in Meta's Access Token Debugger and grant the missing permission.",
    transient: false,
  }],
  [131008, {
    meaning: 'The request is missing a required parameter.',
    action: "Add the parameter named in the details, as the endpoint's reference requires.",
    transient: false,
  }],
  [131009, {
    meaning: 'One or more parameter values in the request are not valid.',
    action: "Correct the value named in the details, as the endpoint's reference describes.",
    transient: false,
  }],
  [131016, {
    meaning: 'A Meta service is temporarily unavailable.',
    action: "Check Meta's status page and retry later.",
    transient: true,
  }],
  [131021, {
    meaning: 'The recipient is the same phone number as the sender.',
    action: 'Send to a phone number other than the business number.',
    transient: false,
  }],
  [131026, {
    meaning: 'The message was undeliverable: the number is not on WhatsApp, lacks the new terms, or runs an old app.',
    action: 'Confirm through another channel that the recipient can receive WhatsApp messages from this number.',
    transient: false,
  }],
  [131030, {
    meaning: "The recipient is not on the test number's list of allowed recipients.",
    action: "Add the recipient to the test number's allowed list in the App Dashboard, or send from a real number.",
    transient: false,
  }],
  [131037, {
    meaning: 'The business phone number has no approved display name yet.',
    action: "Get the number's display name approved in WhatsApp Manager before sending.",
    transient: false,
  }],
  [131042, {
    meaning: 'A payment or eligibility problem blocks messaging, such as no payment method or an exceeded credit line.',
    action: 'Check the billing settings of the WhatsApp Business Account.',
    transient: false,
  }],
  [131045, {
    meaning: 'The message failed because of a phone number registration error (incorrect certificate).',
    action: 'Register the phone number again before sending.',
    transient: false,
  }],
  [131047, {
    meaning: 'More than 24 hours have passed since the customer last wrote, so only template messages are allowed.',
    action: 'Send an approved template message instead.',
    transient: false,
  }],
  [131049, {
    meaning: 'Meta chose not to deliver the message to keep engagement healthy, often a per-user marketing limit.',
    action: 'Wait at least 24 hours before sending this recipient the marketing template again.',
    transient: true,
  }],
  [131050, {
    meaning: 'The recipient has chosen to stop receiving marketing messages from this business.',
    action: 'Stop sending marketing messages to this recipient.',
    transient: false,
  }],
  [131051, {
    meaning: 'The message type is not supported by the Cloud API.',
    action: 'Do nothing for a message a user sent, and use a supported type for a message you send.',
    transient: false,
  }],
  [131052, {
    meaning: 'Meta could not download the media that a user sent.',
    action: 'Check the details for the cause and ask the user to send the file another way.',
    transient: false,
  }],
  [131053, {
    meaning: 'Meta could not upload the media in the message, for example because its type is not supported.',
    action: "Check the media's type and size against WhatsApp's supported media types.",
    transient: false,
  }],
  [131055, {
    meaning: 'The method is not allowed because the Marketing Messages Lite API only sends marketing templates.',
    action: 'Send a marketing template there, or send other messages through the Cloud API messages endpoint.',
    transient: false,
  }],
  [131057, {
    meaning: 'The WhatsApp Business Account is in maintenance mode, for example during a throughput upgrade.',
    action: 'Retry later.',
    transient: true,
  }],
  [131060, {
    meaning: "The user's message is unavailable to the API, typically a first message to a Business app number.",
    action: 'Do nothing, because Meta does not pass this message to the API.',
    transient: false,
  }],
  [135000, {
    meaning: "The message failed because of an unknown error with the request's parameters.",
    action: "Check the request's syntax against the endpoint's reference, and contact Meta support if it persists.",
    transient: false,
  }],
  [2494100, {
    meaning: 'The business phone number is in maintenance mode.',
    action: 'Retry in a few minutes.',
    transient: true,
  }],

  // Templates and flows: the template must change before the same send can work.
  [132000, {
    meaning: 'The number of parameter values sent does not match the number of variables in the template.',
    action: 'Send exactly one value for each variable of the template.',
    transient: false,
  }],
  [132001, {
    meaning: 'The template does not exist in the requested language or has not been approved.',
    action: "Check the template's name, language and approval status in WhatsApp Manager.",
    transient: false,
  }],
  [132005, {
    meaning: "The template's text is too long once its parameters are filled in.",
    action: "Shorten the parameter values, and check the template's translation in WhatsApp Manager.",
    transient: false,
  }],
  [132007, {
    meaning: "The template's content violates WhatsApp's policy on formatting characters.",
    action: "Edit the template according to Meta's template rejection reasons and submit it again.",
    transient: false,
  }],
  [132012, {
    meaning: 'A parameter value does not have the format the template defines for it.',
    action: 'Format each parameter value as the template specifies.',
    transient: false,
  }],
  [132015, {
    meaning: 'The template is paused for low quality and cannot be sent.',
    action: 'Edit the template to improve its quality and send it again once it is approved.',
    transient: false,
  }],
  [132016, {
    meaning: 'The template was paused too many times for low quality and is now permanently disabled.',
    action: 'Create a new template with different content.',
    transient: false,
  }],
  [132068, {
    meaning: 'The flow in the message is blocked.',
    action: 'Fix the flow in WhatsApp Manager.',
    transient: false,
  }],
  [132069, {
    meaning: 'The flow is throttled because 10 messages using it were already sent in the last hour.',
    action: 'Fix the flow in WhatsApp Manager so that Meta stops throttling it.',
    transient: false,
  }],

  // Registration of the phone number (request_code, verify_code, register).
  [133000, {
    meaning: 'A previous attempt to deregister this phone number did not complete.',
    action: 'Deregister the number again, then register it.',
    transient: false,
  }],
  [133004, {
    meaning: "Meta's registration server is temporarily unavailable.",
    action: "Check Meta's status page and the details, then retry later.",
    transient: true,
  }],
  [133005, {
    meaning: "The two-step verification PIN sent does not match the number's PIN.",
    action: 'Send the correct PIN, or disable two-step verification and set a new PIN.',
    transient: false,
  }],
  [133006, {
    meaning: 'The phone number must be verified again before it can be registered.',
    action: 'Verify the number with request_code and verify_code, then register it.',
    transient: false,
  }],
  [133008, {
    meaning: 'Too many wrong two-step verification PINs were tried for this phone number.',
    action: 'Wait for the time given in the details, then retry with the correct PIN.',
    transient: true,
  }],
  [133009, {
    meaning: 'Two-step verification PINs were tried too quickly.',
    action: 'Wait as the details say, then retry.',
    transient: true,
  }],
  [133010, {
    meaning: 'The phone number is not registered on the WhatsApp Business Platform.',
    action: 'Register the phone number before using it.',
    transient: false,
  }],
  [133015, {
    meaning: 'The phone number was deleted recently and the deletion has not finished yet.',
    action: 'Wait 5 minutes, then register the number again.',
    transient: true,
  }],
  [136024, {
    meaning: 'Meta could not send the verification code for this number (request_code failed).',
    action: 'Check the phone number and its voice settings, then request the code again.',
    transient: true,
  }],
  [136025, {
    // The same code will not verify twice; a new one has to be requested.
    meaning: 'Meta did not accept the verification code (verify_code failed).',
    action: 'Check the captured code, or request a new code and verify it.',
    transient: false,
  }],
]);

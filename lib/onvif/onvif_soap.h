/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The soapcpp2 interface header of liblightstream-onvif: only the ONVIF
 * operations and fields the client uses, written by hand from the ONVIF
 * schemas (no WSDL is vendored). soapcpp2 turns it into C (de)serializers
 * and client stubs at build time (lib/onvif/meson.build); that generated code
 * is GPL-2+ unless you hold gSOAP's commercial licence.
 *
 * Choices that make real cameras parse:
 * - Enum-like strings (Encoding, MoveStatus, ...) are char*: with the schema
 *   enums, Media1 GetProfiles carrying "H265" fails to parse, and a missing
 *   Encoding silently becomes JPEG (the enum's zero value).
 * - Numbers the devices send are char* too, read by our own locale-free
 *   parser: one "25.000000" where the schema says xs:int must not throw away
 *   a whole 36-profile answer. Numbers we send are char* written by us, so
 *   the C locale of the embedding program never turns "0.5" into "0,5".
 * - Every element is optional (minOccurs 0), and unknown elements are
 *   skipped: devices add vendor elements and leave out required ones.
 * - No mustUnderstand on our headers: some cameras reject it.
 *
 * A few response elements are declared only so the tests parse every
 * captured answer through generated deserializers (marked "parse only").
 */

//gsoap tt schema namespace: http://www.onvif.org/ver10/schema
//gsoap tt schema elementForm: qualified
//gsoap tt schema attributeForm: unqualified

//gsoap ter schema namespace: http://www.onvif.org/ver10/error

//gsoap dn schema namespace: http://www.onvif.org/ver10/network/wsdl

//gsoap wsse schema namespace: http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd
//gsoap wsse schema elementForm: qualified
//gsoap wsse schema attributeForm: unqualified

//gsoap wsu schema namespace: http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd
//gsoap wsu schema elementForm: qualified
//gsoap wsu schema attributeForm: unqualified

//gsoap wsa schema namespace: http://schemas.xmlsoap.org/ws/2004/08/addressing
//gsoap wsa schema elementForm: qualified
//gsoap wsa schema attributeForm: unqualified

//gsoap wsa5 schema namespace: http://www.w3.org/2005/08/addressing
//gsoap wsa5 schema elementForm: qualified
//gsoap wsa5 schema attributeForm: unqualified

//gsoap wsdd schema namespace: http://schemas.xmlsoap.org/ws/2005/04/discovery
//gsoap wsdd schema elementForm: qualified
//gsoap wsdd schema attributeForm: unqualified

/* ------------------------------------------------------------------------
 * SOAP header: WS-Security UsernameToken, WS-Addressing (2004/08 for
 * discovery, 1.0 in answers)
 * ------------------------------------------------------------------------ */

struct _wsse__Password {
    char *__item;
    @char *Type 0;
};

struct _wsse__Nonce {
    char *__item;
    @char *EncodingType 0;
};

struct _wsse__UsernameToken {
    char *Username 0;
    struct _wsse__Password *Password 0;
    struct _wsse__Nonce *Nonce 0;
    char *wsu__Created 0;
};

struct _wsse__Security {
    struct _wsse__UsernameToken *UsernameToken 0;
};

struct wsa__EndpointReferenceType {
    char *Address 0;
};

struct wsa5__EndpointReferenceType {
    char *Address 0;
};

/* gSOAP refuses an answer whose header holds an element it does not know
 * marked mustUnderstand (SOAP_MUSTUNDERSTAND), before it reads the Body.
 * Devices mark WS-Addressing headers so, in discovery (2004/08) and in
 * answers and faults (1.0, e.g. wsa:Action .../addressing/soap/fault): each
 * header block either version defines is declared, so it is understood.
 * Understanding them asks nothing of a client: they name the message and
 * where answers go, and each answer comes back on the request's connection.
 * We send none of them (transport.c fills only wsse__Security). */
struct SOAP_ENV__Header {
    struct _wsse__Security *wsse__Security 0;
    char *wsa__MessageID 0;
    char *wsa__RelatesTo 0;
    struct wsa__EndpointReferenceType *wsa__From 0;
    struct wsa__EndpointReferenceType *wsa__ReplyTo 0;
    struct wsa__EndpointReferenceType *wsa__FaultTo 0;
    char *wsa__To 0;
    char *wsa__Action 0;
    char *wsa5__MessageID 0;
    char *wsa5__RelatesTo 0;
    struct wsa5__EndpointReferenceType *wsa5__From 0;
    struct wsa5__EndpointReferenceType *wsa5__ReplyTo 0;
    struct wsa5__EndpointReferenceType *wsa5__FaultTo 0;
    char *wsa5__To 0;
    char *wsa5__Action 0;
};

/* ------------------------------------------------------------------------
 * Shared ONVIF schema types (tt)
 * ------------------------------------------------------------------------ */

struct tt__Time {
    int Hour 0;
    int Minute 0;
    int Second 0;
};

struct tt__Date {
    int Year 0;
    int Month 0;
    int Day 0;
};

struct tt__DateTime {
    struct tt__Time *Time 0;
    struct tt__Date *Date 0;
};

struct tt__SystemDateTime {
    char *DateTimeType 0;
    char *DaylightSavings 0;
    struct tt__DateTime *UTCDateTime 0;
    struct tt__DateTime *LocalDateTime 0;
};

struct tt__VideoResolution {
    char *Width 0;
    char *Height 0;
};

struct tt__VideoRateControl {
    char *FrameRateLimit 0;
    char *EncodingInterval 0;
    char *BitrateLimit 0;
};

/* Media1 tt:VideoEncoderConfiguration and Media2 tt:VideoEncoder2Configuration
 * carry the same fields we read. */
struct tt__VideoEncoderConfiguration {
    @char *token 0;
    char *Name 0;
    char *Encoding 0;
    struct tt__VideoResolution *Resolution 0;
    struct tt__VideoRateControl *RateControl 0;
};

struct tt__PTZConfiguration {
    @char *token 0;
    char *Name 0;
    char *NodeToken 0;
};

struct tt__Profile {
    @char *token 0;
    @char *fixed 0;
    char *Name 0;
    struct tt__VideoEncoderConfiguration *VideoEncoderConfiguration 0;
    struct tt__PTZConfiguration *PTZConfiguration 0;
};

struct tt__Transport {
    char *Protocol 0;
};

struct tt__StreamSetup {
    char *Stream 0;
    struct tt__Transport *Transport 0;
};

struct tt__MediaUri {
    char *Uri 0;
};

/* A PTZ vector: x, y (pan/tilt) and x (zoom) as decimal strings. */
struct tt__Vector2D {
    @char *x 0;
    @char *y 0;
    @char *space 0;
};

struct tt__Vector1D {
    @char *x 0;
    @char *space 0;
};

struct tt__PTZVector {
    struct tt__Vector2D *PanTilt 0;
    struct tt__Vector1D *Zoom 0;
};

struct tt__PTZSpeed {
    struct tt__Vector2D *PanTilt 0;
    struct tt__Vector1D *Zoom 0;
};

struct tt__PTZMoveStatus {
    char *PanTilt 0;
    char *Zoom 0;
};

struct tt__PTZStatus {
    struct tt__PTZVector *Position 0;
    struct tt__PTZMoveStatus *MoveStatus 0;
    char *Error 0;
    char *UtcTime 0;
};

struct tt__PTZPreset {
    @char *token 0;
    char *Name 0;
};

/* Only whether a space is listed matters (it says the move is supported). */
struct tt__Space {
    char *URI 0;
};

struct tt__PTZSpaces {
    $int __sizeAbsolutePanTiltPositionSpace 0;
    struct tt__Space *AbsolutePanTiltPositionSpace 0;
    $int __sizeAbsoluteZoomPositionSpace 0;
    struct tt__Space *AbsoluteZoomPositionSpace 0;
    $int __sizeRelativePanTiltTranslationSpace 0;
    struct tt__Space *RelativePanTiltTranslationSpace 0;
    $int __sizeRelativeZoomTranslationSpace 0;
    struct tt__Space *RelativeZoomTranslationSpace 0;
    $int __sizeContinuousPanTiltVelocitySpace 0;
    struct tt__Space *ContinuousPanTiltVelocitySpace 0;
    $int __sizeContinuousZoomVelocitySpace 0;
    struct tt__Space *ContinuousZoomVelocitySpace 0;
};

struct tt__PTZNode {
    @char *token 0;
    char *Name 0;
    struct tt__PTZSpaces *SupportedPTZSpaces 0;
    char *MaximumNumberOfPresets 0;
    char *HomeSupported 0;
};

struct tt__Service {
    char *XAddr 0;
};

struct tt__CapabilitiesExtension {
    struct tt__Service *DeviceIO 0;
};

struct tt__Capabilities {
    struct tt__Service *Device 0;
    struct tt__Service *Media 0;
    struct tt__Service *PTZ 0;
};

/* parse only: GetHostname, GetScopes */
struct tt__HostnameInformation {
    char *FromDHCP 0;
    char *Name 0;
};

struct tt__Scope {
    char *ScopeDef 0;
    char *ScopeItem 0;
};

/* parse only: Media2 GetVideoEncoderConfigurationOptions */
struct tt__VideoEncoder2ConfigurationOptions {
    @char *FrameRatesSupported 0;
    @char *ProfilesSupported 0;
    char *Encoding 0;
    $int __sizeResolutionsAvailable 0;
    struct tt__VideoResolution *ResolutionsAvailable 0;
};

/* ------------------------------------------------------------------------
 * Device service (tds)
 * ------------------------------------------------------------------------ */

//gsoap tds schema namespace: http://www.onvif.org/ver10/device/wsdl
//gsoap tds schema elementForm: qualified
//gsoap tds schema attributeForm: unqualified
//gsoap tds service name: Device
//gsoap tds service namespace: http://www.onvif.org/ver10/device/wsdl
//gsoap tds service style: document
//gsoap tds service encoding: literal

struct tds__Version {
    char *tt__Major 0;
    char *tt__Minor 0;
};

struct tds__Service {
    char *Namespace 0;
    char *XAddr 0;
    struct tds__Version *Version 0;
};

struct _tds__GetSystemDateAndTime { };
struct _tds__GetSystemDateAndTimeResponse {
    struct tt__SystemDateTime *SystemDateAndTime 0;
};

struct _tds__GetDeviceInformation { };
struct _tds__GetDeviceInformationResponse {
    char *Manufacturer 0;
    char *Model 0;
    char *FirmwareVersion 0;
    char *SerialNumber 0;
    char *HardwareId 0;
};

struct _tds__GetServices {
    char *IncludeCapability 1;
};
struct _tds__GetServicesResponse {
    $int __sizeService 0;
    struct tds__Service *Service 0;
};

struct _tds__GetCapabilities {
    char *Category 0;
};
struct _tds__GetCapabilitiesResponse {
    struct tt__Capabilities *Capabilities 0;
};

/* parse only */
struct _tds__GetHostnameResponse {
    struct tt__HostnameInformation *HostnameInformation 0;
};
struct _tds__GetScopesResponse {
    $int __sizeScopes 0;
    struct tt__Scope *Scopes 0;
};

int __tds__GetSystemDateAndTime(struct _tds__GetSystemDateAndTime *tds__GetSystemDateAndTime,
    struct _tds__GetSystemDateAndTimeResponse *tds__GetSystemDateAndTimeResponse);
int __tds__GetDeviceInformation(struct _tds__GetDeviceInformation *tds__GetDeviceInformation,
    struct _tds__GetDeviceInformationResponse *tds__GetDeviceInformationResponse);
int __tds__GetServices(struct _tds__GetServices *tds__GetServices,
    struct _tds__GetServicesResponse *tds__GetServicesResponse);
int __tds__GetCapabilities(struct _tds__GetCapabilities *tds__GetCapabilities,
    struct _tds__GetCapabilitiesResponse *tds__GetCapabilitiesResponse);

/* ------------------------------------------------------------------------
 * Media service (trt, ver10)
 * ------------------------------------------------------------------------ */

//gsoap trt schema namespace: http://www.onvif.org/ver10/media/wsdl
//gsoap trt schema elementForm: qualified
//gsoap trt schema attributeForm: unqualified
//gsoap trt service name: Media
//gsoap trt service namespace: http://www.onvif.org/ver10/media/wsdl
//gsoap trt service style: document
//gsoap trt service encoding: literal

struct _trt__GetProfiles { };
struct _trt__GetProfilesResponse {
    $int __sizeProfiles 0;
    struct tt__Profile *Profiles 0;
};

struct _trt__GetStreamUri {
    struct tt__StreamSetup *StreamSetup 1;
    char *ProfileToken 1;
};
struct _trt__GetStreamUriResponse {
    struct tt__MediaUri *MediaUri 0;
};

struct _trt__GetSnapshotUri {
    char *ProfileToken 1;
};
struct _trt__GetSnapshotUriResponse {
    struct tt__MediaUri *MediaUri 0;
};

/* parse only */
struct _trt__GetVideoEncoderConfigurationResponse {
    struct tt__VideoEncoderConfiguration *Configuration 0;
};

int __trt__GetProfiles(struct _trt__GetProfiles *trt__GetProfiles,
    struct _trt__GetProfilesResponse *trt__GetProfilesResponse);
int __trt__GetStreamUri(struct _trt__GetStreamUri *trt__GetStreamUri,
    struct _trt__GetStreamUriResponse *trt__GetStreamUriResponse);
int __trt__GetSnapshotUri(struct _trt__GetSnapshotUri *trt__GetSnapshotUri,
    struct _trt__GetSnapshotUriResponse *trt__GetSnapshotUriResponse);

/* ------------------------------------------------------------------------
 * Media2 service (tr2, ver20): where H.265 profiles are visible
 * ------------------------------------------------------------------------ */

//gsoap tr2 schema namespace: http://www.onvif.org/ver20/media/wsdl
//gsoap tr2 schema elementForm: qualified
//gsoap tr2 schema attributeForm: unqualified
//gsoap tr2 service name: Media2
//gsoap tr2 service namespace: http://www.onvif.org/ver20/media/wsdl
//gsoap tr2 service style: document
//gsoap tr2 service encoding: literal

struct tr2__ConfigurationSet {
    struct tt__VideoEncoderConfiguration *VideoEncoder 0;
    struct tt__PTZConfiguration *PTZ 0;
};

struct tr2__MediaProfile {
    @char *token 0;
    @char *fixed 0;
    char *Name 0;
    struct tr2__ConfigurationSet *Configurations 0;
};

struct _tr2__GetProfiles {
    char *Token 0;
    $int __sizeType 0;
    char **Type 0;
};
struct _tr2__GetProfilesResponse {
    $int __sizeProfiles 0;
    struct tr2__MediaProfile *Profiles 0;
};

struct _tr2__GetStreamUri {
    char *Protocol 1;
    char *ProfileToken 1;
};
struct _tr2__GetStreamUriResponse {
    char *Uri 0;
};

struct _tr2__GetSnapshotUri {
    char *ProfileToken 1;
};
struct _tr2__GetSnapshotUriResponse {
    char *Uri 0;
};

/* parse only: GetServiceCapabilities, GetVideoEncoderConfigurationOptions */
struct tr2__StreamingCapabilities {
    @char *RTSPStreaming 0;
    @char *RTPMulticast 0;
    @char *RTP_USCORERTSP_USCORETCP 0;
};

struct tr2__Capabilities2 {
    @char *SnapshotUri 0;
    @char *Rotation 0;
    struct tr2__StreamingCapabilities *StreamingCapabilities 0;
};

struct _tr2__GetServiceCapabilitiesResponse {
    struct tr2__Capabilities2 *Capabilities 0;
};

struct _tr2__GetVideoEncoderConfigurationOptionsResponse {
    $int __sizeOptions 0;
    struct tt__VideoEncoder2ConfigurationOptions *Options 0;
};

int __tr2__GetProfiles(struct _tr2__GetProfiles *tr2__GetProfiles,
    struct _tr2__GetProfilesResponse *tr2__GetProfilesResponse);
int __tr2__GetStreamUri(struct _tr2__GetStreamUri *tr2__GetStreamUri,
    struct _tr2__GetStreamUriResponse *tr2__GetStreamUriResponse);
int __tr2__GetSnapshotUri(struct _tr2__GetSnapshotUri *tr2__GetSnapshotUri,
    struct _tr2__GetSnapshotUriResponse *tr2__GetSnapshotUriResponse);

/* ------------------------------------------------------------------------
 * PTZ service (tptz, ver20)
 * ------------------------------------------------------------------------ */

//gsoap tptz schema namespace: http://www.onvif.org/ver20/ptz/wsdl
//gsoap tptz schema elementForm: qualified
//gsoap tptz schema attributeForm: unqualified
//gsoap tptz service name: PTZ
//gsoap tptz service namespace: http://www.onvif.org/ver20/ptz/wsdl
//gsoap tptz service style: document
//gsoap tptz service encoding: literal

struct _tptz__GetNodes { };
struct _tptz__GetNodesResponse {
    $int __sizePTZNode 0;
    struct tt__PTZNode *PTZNode 0;
};

struct _tptz__GetPresets {
    char *ProfileToken 1;
};
struct _tptz__GetPresetsResponse {
    $int __sizePreset 0;
    struct tt__PTZPreset *Preset 0;
};

struct _tptz__GotoPreset {
    char *ProfileToken 1;
    char *PresetToken 1;
    struct tt__PTZSpeed *Speed 0;
};
struct _tptz__GotoPresetResponse { };

struct _tptz__ContinuousMove {
    char *ProfileToken 1;
    struct tt__PTZSpeed *Velocity 1;
    char *Timeout 0;
};
struct _tptz__ContinuousMoveResponse { };

struct _tptz__Stop {
    char *ProfileToken 1;
    char *PanTilt 0;
    char *Zoom 0;
};
struct _tptz__StopResponse { };

struct _tptz__AbsoluteMove {
    char *ProfileToken 1;
    struct tt__PTZVector *Position 1;
    struct tt__PTZSpeed *Speed 0;
};
struct _tptz__AbsoluteMoveResponse { };

struct _tptz__RelativeMove {
    char *ProfileToken 1;
    struct tt__PTZVector *Translation 1;
    struct tt__PTZSpeed *Speed 0;
};
struct _tptz__RelativeMoveResponse { };

struct _tptz__GetStatus {
    char *ProfileToken 1;
};
struct _tptz__GetStatusResponse {
    struct tt__PTZStatus *PTZStatus 0;
};

/* parse only */
struct _tptz__GetConfigurationsResponse {
    $int __sizePTZConfiguration 0;
    struct tt__PTZConfiguration *PTZConfiguration 0;
};

int __tptz__GetNodes(struct _tptz__GetNodes *tptz__GetNodes,
    struct _tptz__GetNodesResponse *tptz__GetNodesResponse);
int __tptz__GetPresets(struct _tptz__GetPresets *tptz__GetPresets,
    struct _tptz__GetPresetsResponse *tptz__GetPresetsResponse);
int __tptz__GotoPreset(struct _tptz__GotoPreset *tptz__GotoPreset,
    struct _tptz__GotoPresetResponse *tptz__GotoPresetResponse);
int __tptz__ContinuousMove(struct _tptz__ContinuousMove *tptz__ContinuousMove,
    struct _tptz__ContinuousMoveResponse *tptz__ContinuousMoveResponse);
int __tptz__Stop(struct _tptz__Stop *tptz__Stop,
    struct _tptz__StopResponse *tptz__StopResponse);
int __tptz__AbsoluteMove(struct _tptz__AbsoluteMove *tptz__AbsoluteMove,
    struct _tptz__AbsoluteMoveResponse *tptz__AbsoluteMoveResponse);
int __tptz__RelativeMove(struct _tptz__RelativeMove *tptz__RelativeMove,
    struct _tptz__RelativeMoveResponse *tptz__RelativeMoveResponse);
int __tptz__GetStatus(struct _tptz__GetStatus *tptz__GetStatus,
    struct _tptz__GetStatusResponse *tptz__GetStatusResponse);

/* ------------------------------------------------------------------------
 * WS-Discovery 2005/04 (wsdd): serialized and parsed by hand over UDP
 * ------------------------------------------------------------------------ */

struct wsdd__ScopesType {
    char *__item;
    @char *MatchBy 0;
};

struct wsdd__ProbeType {
    char *Types 0;
    struct wsdd__ScopesType *Scopes 0;
};

struct wsdd__ProbeMatchType {
    struct wsa__EndpointReferenceType *wsa__EndpointReference 0;
    char *Types 0;
    struct wsdd__ScopesType *Scopes 0;
    char *XAddrs 0;
    char *MetadataVersion 0;
};

struct wsdd__ProbeMatchesType {
    $int __sizeProbeMatch 0;
    struct wsdd__ProbeMatchType *ProbeMatch 0;
};

typedef struct wsdd__ProbeType _wsdd__Probe;
typedef struct wsdd__ProbeMatchesType _wsdd__ProbeMatches;

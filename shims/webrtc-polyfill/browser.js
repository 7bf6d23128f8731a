// Browsers: their own WebRTC.
export const RTCPeerConnection = globalThis.RTCPeerConnection;
export const RTCSessionDescription = globalThis.RTCSessionDescription;
export const RTCIceCandidate = globalThis.RTCIceCandidate;
export default { RTCPeerConnection, RTCSessionDescription, RTCIceCandidate };

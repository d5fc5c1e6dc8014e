/** Basic credentials, as the kubelet and containerd send them. Never printed. */
export interface BasicCredential {
  username: string;
  password: string;
}

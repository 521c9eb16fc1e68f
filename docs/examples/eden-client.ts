import { treaty } from '@elysiajs/eden';
import type { App } from '../../src/app.ts';

/** Signs in and lists the doctors of a specialty, fully typed from the server's own schemas. */
export async function firstCardiologist(baseUrl: string, email: string, password: string) {
  const api = treaty<App>(baseUrl).api.v1;
  const login = await api.auth.login.post({ email, password });
  if (login.error) throw new Error(`sign-in failed: ${login.error.status}`);
  const headers = { authorization: `Bearer ${login.data.accessToken}` };
  const me = await api.me.get({ headers });
  const doctors = await api.doctors.get({ query: { specialty: 'cardiology', limit: 1 } });
  return { me: me.data?.user.name, doctor: doctors.data?.items[0]?.name };
}

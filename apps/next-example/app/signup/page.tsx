import { signUp } from './actions';

export default function SignUpPage() {
  return (
    <main>
      <h1>Sign up</h1>
      <form action={signUp}>
        <label>
          Email <input name="email" type="email" required />
        </label>
        <label>
          Plan
          <select name="plan" defaultValue="free">
            <option value="free">Free</option>
            <option value="pro">Pro</option>
          </select>
        </label>
        <button type="submit">Sign up</button>
      </form>
    </main>
  );
}

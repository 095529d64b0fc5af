export default function WelcomePage() {
  return (
    <main>
      <h1>Welcome!</h1>
    </main>
  );
}

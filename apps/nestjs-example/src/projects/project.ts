/** A project in the tracker. */
export interface Project {
  id: string;
  name: string;
  ownerId: string;
  plan: 'free' | 'team';
}
